"""A tiny ASGI site for the overload benchmarks, standing in until (or beside) the real site.

Routes:

* ``/case``: a dynamic page whose cost is dominated by a *case-processing backend* with fixed
  concurrency and service time (as a department's case-management system would be): at most
  ``--concurrency`` requests are processed at once, each for ``--service-ms``; the rest queue
  in front of it. Capacity = concurrency / service time.
* ``/cpu``: a dynamic page that burns ``--cpu-ms`` of CPU in the event loop (a template render).
* ``/metrics``: Prometheus text, as the real site exposes it.

``--protected`` wraps the app in :class:`AdmissionControlMiddleware` with default settings.

    .venv/bin/python bench/bounded_app.py --port 8100 --protected
"""

from __future__ import annotations

import argparse
import hashlib
import time
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from northbound.lab.bounded_backend import BoundedBackend
from northbound.ops.metrics import METRIC_NAMESPACE
from northbound.surge.admission import AdmissionControlMiddleware, AdmissionSettings


def burn_cpu(seconds: float) -> None:
    """Spend about ``seconds`` of CPU, as rendering a page would."""
    end = time.perf_counter() + seconds
    digest = b"northbound"
    while time.perf_counter() < end:
        digest = hashlib.sha256(digest).digest()


def page(title: str) -> bytes:
    rows = "".join(f"<li>Step {i}: case status detail</li>" for i in range(60))
    return f"<!DOCTYPE html><html lang=en><title>{title}</title><ul>{rows}</ul></html>".encode()


def build_app(*, concurrency: int, service_time: float, cpu_seconds: float) -> ASGIApp:
    backend: BoundedBackend | None = None
    case_page, cpu_page = page("Case status"), page("Calculator")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal backend
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = scope["path"]
        content_type = b"text/html; charset=utf-8"
        if path == "/case":
            if backend is None:  # created in the serving loop
                backend = BoundedBackend(concurrency, service_time)
            await backend.process()
            status, body = 200, case_page
        elif path == "/cpu":
            burn_cpu(cpu_seconds)
            status, body = 200, cpu_page
        elif path == "/metrics":
            status, body, content_type = 200, generate_latest(), CONTENT_TYPE_LATEST.encode()
        else:
            status, body = 404, b"not found"
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Tiny bounded-backend site for benchmarks.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protected", action="store_true")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--service-ms", type=float, default=200.0)
    parser.add_argument("--cpu-ms", type=float, default=1.0)
    args = parser.parse_args()
    app: Any = build_app(
        concurrency=args.concurrency,
        service_time=args.service_ms / 1000,
        cpu_seconds=args.cpu_ms / 1000,
    )
    if args.protected:
        app = AdmissionControlMiddleware.from_settings(
            app,
            AdmissionSettings(),
            metric_namespace=METRIC_NAMESPACE,
            exempt_prefixes=("/healthz", "/readyz", "/metrics"),
        )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=4096,
    )


if __name__ == "__main__":
    main()

"""Outermost middleware: request id, access log, and the HTTP metrics.

The route label is the matched route's template (set by the router, or by the fast path as
``scope["route_template"]``), so the metric's cardinality stays bounded whatever URLs arrive.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northbound.ops.logs import request_id_var
from northbound.ops.metrics import IN_FLIGHT, LATENCY, REQUESTS

log = logging.getLogger("northbound.access")
SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A random per-process prefix and a counter make unique ids without a uuid4 per request.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def route_label(scope: Scope) -> str:
    template = scope.get("route_template")
    if template:
        return str(template)
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "<unmatched>"


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log
        # Labelled children are looked up once, not on every request.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[str, Any] = {}

    def _record(self, route: str, method: str, status: int, elapsed: float) -> None:
        key = (route, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = REQUESTS.labels(route, method, str(status))
        counter.inc()
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = LATENCY.labels(route)
        histogram.observe(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value
                break
        rid = request_id.decode() if SAFE_REQUEST_ID.match(request_id) else new_request_id()
        token = request_id_var.set(rid)
        scope["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            IN_FLIGHT.dec()
            elapsed = time.perf_counter() - start
            route = route_label(scope)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            self._record(route, method, status, elapsed)
            if self.access_log:
                log.info(
                    "request",
                    extra={
                        "route": route,
                        "method": method,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)

"""Stopping the server lets a request that is already being served finish."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable

import httpx
import uvicorn

from northbound.app import create_app
from northbound.settings import Settings
from tests.support.apps import migrated


def test_in_flight_request_finishes_during_shutdown(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    migrated(settings)
    app = create_app(settings)
    started = threading.Event()

    @app.get("/en/slow-for-test")
    async def slow() -> dict[str, str]:
        started.set()
        await asyncio.sleep(1.0)
        return {"done": "yes"}

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)

    result: dict[str, object] = {}

    def call() -> None:
        response = httpx.get(f"http://127.0.0.1:{port}/en/slow-for-test", timeout=10)
        result["status"], result["body"] = response.status_code, response.json()

    client = threading.Thread(target=call)
    client.start()
    assert started.wait(10)
    server.should_exit = True  # what SIGTERM does
    client.join(15)
    thread.join(15)
    assert result == {"status": 200, "body": {"done": "yes"}}
    assert not thread.is_alive()

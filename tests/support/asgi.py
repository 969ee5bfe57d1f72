"""A tiny ASGI harness: one request's scope, an app that answers 200, and a recorder that drives
one request through a middleware and keeps what it sent."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def http_scope(
    method: str = "GET",
    path: str = "/page",
    headers: list[tuple[bytes, bytes]] | None = None,
    client: str = "192.0.2.10",
) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": headers or [],
        "client": (client, 50000),
        "query_string": b"",
    }


def app_scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    """A request as the server hands it to the whole app, after a Host header: the router and
    Starlette's request read what :func:`http_scope` (enough for a middleware) leaves out."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), *headers],
    }


class Recorder:
    """The client side of one request: its body on ``receive``, the response from ``send``."""

    def __init__(self, request_body: bytes = b"") -> None:
        self.request_body = request_body
        self.receive_calls = 0
        self.messages: list[Message] = []

    async def receive(self) -> Message:
        self.receive_calls += 1
        return {"type": "http.request", "body": self.request_body, "more_body": False}

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The app behind the middleware: reads the request, answers 200 "ok"."""
    await receive()
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


async def run(app: ASGIApp, scope: Scope) -> Recorder:
    """One request through ``app``; a hang fails the test after five seconds."""
    recorder = Recorder()
    await asyncio.wait_for(app(scope, recorder.receive, recorder.send), timeout=5)
    return recorder

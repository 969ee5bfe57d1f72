"""Pure-ASGI fast path that serves pre-rendered responses before the framework sees the request.

The lookup table maps an exact request path to a :class:`CachedResponse`. It is replaced as a
whole when content changes (one attribute assignment, so a request sees the old table or the
new one, never a mix). Anything not in the table falls through to the wrapped app.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from northbound.web.cached_response import CachedResponse


class CachedTable:
    """Holder for the current path → response table."""

    def __init__(self) -> None:
        self.responses: Mapping[str, CachedResponse] = {}

    def replace(self, responses: Mapping[str, CachedResponse]) -> None:
        self.responses = dict(responses)


class CachedPathsMiddleware:
    def __init__(self, app: ASGIApp, table: CachedTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cached = self.table.responses.get(scope["path"])
        method = scope["method"]
        if cached is None or method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        scope["route_template"] = cached.route
        accept_encoding = b""
        if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept_encoding = value
            elif name == b"if-none-match":
                if_none_match = value
        rep = cached.choose(accept_encoding)
        tag = cached.matched_tag(if_none_match, rep) if if_none_match else None
        if tag is not None:
            headers = cached.not_modified_headers[tag]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": rep.headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else rep.body})

"""Outermost middleware: request id, access log, and the HTTP metrics.

The route label is the matched route's template (set by the router, or by the fast path as
``scope["route_template"]``), so the metric's cardinality stays bounded whatever URLs arrive.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northbound.ops.logs import request_id_var
from northbound.ops.metrics import IN_FLIGHT, LATENCY, REQUESTS

log = logging.getLogger("northbound.access")
SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value
                break
        rid = request_id.decode() if SAFE_REQUEST_ID.match(request_id) else uuid.uuid4().hex
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
            REQUESTS.labels(route, method, str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            if self.access_log:
                log.info(
                    "request",
                    extra={"route": route, "method": method, "status": status,
                           "ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(token)

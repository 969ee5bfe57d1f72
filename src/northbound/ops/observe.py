"""Outermost middleware: request id, access log, and the HTTP metrics.

The route label is the matched route's template (set by the router, or by the fast path as
``scope["route_template"]``), so the metric's cardinality stays bounded whatever URLs arrive.

The figures are tallied in plain Python and handed to Prometheus in batches (:class:`Tally`):
``prometheus_client`` takes a lock (or, with several workers, writes a memory-mapped file) for
every ``inc`` and ``observe``, five of them a request, which cost a cached page a fifth of its
time. A batch goes over at most a second later, and always just before a scrape of this
process, so ``/metrics`` stays exact.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northbound.ops.logs import request_id_var
from northbound.ops.metrics import (
    IN_FLIGHT,
    LATENCY,
    LATENCY_BUCKETS,
    REQUESTS,
    add_observations,
)
from northbound.surge.batching import FlushSchedule

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


class Tally:
    """Requests counted since the last flush, by (route, method, status), with their latency.

    ``record`` runs on the event loop for every request; ``flush`` moves what was counted into
    the Prometheus metrics, from the loop (:class:`~northbound.surge.batching.FlushSchedule`:
    at most ``flush_seconds`` after the first request of a batch) or from another thread (the
    metrics listener's scrape). One lock guards the batch; it is held for a few dictionary
    updates, never while Prometheus works.
    """

    def __init__(
        self,
        buckets: tuple[float, ...] = LATENCY_BUCKETS,
        *,
        flush_seconds: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.bounds = [*buckets, float("inf")]
        self.clock = clock
        self.in_flight = 0
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}
        # per route: requests in each latency bucket, then the sum of their latencies
        self._latency: dict[str, list[float]] = {}
        self.schedule = FlushSchedule(self._hand_over, flush_seconds)
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[str, Any] = {}

    def record(self, route: str, method: str, status: int, elapsed: float, now: float) -> None:
        key = (route, method, status)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            row = self._latency.get(route)
            if row is None:
                row = self._latency[route] = [0.0] * (len(self.bounds) + 1)
            row[bisect.bisect_left(self.bounds, elapsed)] += 1
            row[-1] += elapsed
        self.schedule.changed(now)

    def flush(self) -> None:
        """Hand what was counted to Prometheus now (before a scrape, or in a test)."""
        self.schedule.flush()

    def _hand_over(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
            latency, self._latency = self._latency, {}
        for key, count in counts.items():
            counter = self._counters.get(key)
            if counter is None:
                route, method, status = key
                counter = self._counters[key] = REQUESTS.labels(route, method, str(status))
            counter.inc(count)
        for route, row in latency.items():
            histogram = self._histograms.get(route)
            if histogram is None:
                histogram = self._histograms[route] = LATENCY.labels(route)
            add_observations(histogram, row[:-1], row[-1])
        IN_FLIGHT.set(self.in_flight)


TALLY = Tally()


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, access_log: bool = False, tally: Tally = TALLY) -> None:
        self.app = app
        self.access_log = access_log
        self.tally = tally

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
        tally = self.tally
        start = tally.clock()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        tally.in_flight += 1
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            tally.in_flight -= 1
            end = tally.clock()
            route = route_label(scope)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            tally.record(route, method, status, end - start, end)
            if self.access_log:
                log.info(
                    "request",
                    extra={
                        "route": route,
                        "method": method,
                        "status": status,
                        "ms": round((end - start) * 1000, 2),
                    },
                )
            request_id_var.reset(token)

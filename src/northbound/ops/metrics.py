"""Prometheus metrics for HTTP traffic. Labels never carry personal data or raw paths."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram

METRIC_NAMESPACE = "northbound"
"""The site's Prometheus namespace: its own figures (``northbound_http_*``) and those it has the
surge layers and the database breaker export (``northbound_surge_*``, ``northbound_room_*``)."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)

REQUESTS = Counter(
    "northbound_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "northbound_http_request_duration_seconds",
    "Time from request start to the last body byte, by route template.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "northbound_http_in_flight", "Requests being served right now.", multiprocess_mode="livesum"
)
UNEXPECTED_ERRORS = Counter(
    "northbound_unexpected_errors_total", "Unhandled exceptions answered with a 500 page."
)
DEPENDENCY_UP = Gauge(
    "northbound_dependency_up",
    "1 when this instance reached the dependency at its last check (every 5 s), else 0.",
    ["dependency"],
    multiprocess_mode="livemin",
)


def add_observations(histogram: Histogram, per_bucket: Sequence[float], total: float) -> None:
    """Add many observations to a labelled histogram at once: ``per_bucket[i]`` of them fell in
    its i-th bucket (``+Inf`` last, not cumulative), ``total`` is their sum.

    ``prometheus_client`` has no public call for this, and ``observe`` per request is what
    batching saves; this writes the same values ``observe`` would (its per-bucket values and
    sum, which work alike in one process and in multiprocess mode).
    ``tests/ops/test_request_tally.py`` checks the result against ``observe``, so a change in
    the library's internals fails a test rather than the figures.
    """
    buckets = histogram._buckets
    if len(buckets) != len(per_bucket):
        raise ValueError(f"{len(per_bucket)} bucket counts for {len(buckets)} buckets")
    for value, count in zip(buckets, per_bucket, strict=True):
        if count:
            value.inc(count)
    histogram._sum.inc(total)

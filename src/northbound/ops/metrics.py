"""Prometheus metrics for HTTP traffic. Labels never carry personal data or raw paths."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "northbound_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "northbound_http_request_duration_seconds",
    "Time from request start to the last body byte, by route template.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
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

"""Prometheus figures for rate limiting."""

from __future__ import annotations

from prometheus_client import Counter

RATE_LIMITED = Counter(
    "northbound_surge_rate_limited_total",
    "Requests refused with 429, by route class.",
    ["route_class"],
)
STORE_FAILURES = Counter(
    "northbound_surge_rate_limit_store_failures_total",
    "Rate-limit store errors; each let a request through unchecked (fail open).",
)

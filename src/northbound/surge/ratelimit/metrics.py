"""Prometheus figures of rate limiting (``<namespace>_surge_rate_limit*``).

The namespace is the site's, handed in by whoever wires the layer; made once per namespace,
since a process registers a name once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Counter


@dataclass(frozen=True, slots=True)
class RateLimitMetrics:
    limited: Counter
    store_failures: Counter


@cache
def rate_limit_metrics(namespace: str) -> RateLimitMetrics:
    """Rate limiting's figures named ``<namespace>_surge_*`` (``surge_*`` when empty)."""
    return RateLimitMetrics(
        limited=Counter(
            "rate_limited_total",
            "Requests refused with 429, by route class.",
            ["route_class"],
            namespace=namespace,
            subsystem="surge",
        ),
        store_failures=Counter(
            "rate_limit_store_failures_total",
            "Rate-limit store errors; each let a request through unchecked (fail open).",
            namespace=namespace,
            subsystem="surge",
        ),
    )

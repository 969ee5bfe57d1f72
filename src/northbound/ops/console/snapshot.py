"""One instance's figures at one moment, read from its own Prometheus registry.

Counters are kept cumulative (as Prometheus does): the console subtracts two snapshots to get
a rate, so a snapshot lost on the way costs resolution, never correctness.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from northbound.ops.metrics import METRIC_NAMESPACE

# Requests that are not people being served: probes, scrapes, static files, the surge layer's
# own answers (sheds, 429s and the waiting page have no route).
NOT_GOODPUT_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static", "<unmatched>")
NAMESPACE = f"{METRIC_NAMESPACE}_"  # the figures below are read by their names after it
BREAKER_STATES = {0.0: "closed", 1.0: "half-open", 2.0: "open"}


@dataclass
class Snapshot:
    """What one instance has counted so far, and its gauges now."""

    instance: str
    at: float
    requests: dict[str, float] = field(default_factory=dict)  # by status code
    goodput: float = 0.0  # useful answers below 400
    latency_buckets: dict[str, float] = field(default_factory=dict)  # le -> cumulative count
    limit: float = 0.0
    in_flight: float = 0.0
    shed: dict[str, float] = field(default_factory=dict)  # by reason
    rate_limited: float = 0.0
    breaker: str = "closed"
    wait_error_sum: float = 0.0
    wait_error_count: float = 0.0
    line: float = 0.0
    room_on: float = 0.0
    admitted: float = 0.0
    redis: str = "not used"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def _useful(route: str) -> bool:
    return not route.startswith(NOT_GOODPUT_PREFIXES)


def take(text: str, instance: str, at: float, redis: str = "not used") -> Snapshot:
    """Parse the Prometheus exposition ``text`` of one instance into a snapshot."""
    snap = Snapshot(instance=instance, at=at, redis=redis)
    requests: dict[str, float] = defaultdict(float)
    buckets: dict[str, float] = defaultdict(float)
    shed: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels, value = sample.labels, float(sample.value)
            name = sample.name.removeprefix(NAMESPACE)
            route = labels.get("route", "")
            if name == "http_requests_total":
                status = labels.get("status", "?")
                requests[status] += value
                if _useful(route) and status[:1] in ("2", "3"):
                    snap.goodput += value
            elif name == "http_request_duration_seconds_bucket" and _useful(route):
                buckets[labels["le"]] += value
            elif name == "surge_limit":
                snap.limit += value
            elif name == "surge_in_flight":
                snap.in_flight += value
            elif name == "surge_shed_total":
                shed[labels.get("reason", "?")] += value
            elif name == "surge_rate_limited_total":
                snap.rate_limited += value
            elif name == "surge_breaker_state" and labels.get("name") == "database":
                snap.breaker = BREAKER_STATES.get(value, "open")
            elif name == "room_wait_estimate_error_ratio_sum":
                snap.wait_error_sum += value
            elif name == "room_wait_estimate_error_ratio_count":
                snap.wait_error_count += value
            elif name == "room_line_length":
                snap.line = max(snap.line, value)
            elif name == "room_on":
                snap.room_on = max(snap.room_on, value)
            elif name == "room_admitted_total":
                snap.admitted += value
    snap.requests, snap.latency_buckets, snap.shed = dict(requests), dict(buckets), dict(shed)
    return snap

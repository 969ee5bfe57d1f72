"""Prometheus figures of the waiting room (``<namespace>_room_*``), labelled by room.

The namespace is the site's (``northbound``), handed in by whoever wires the room; surge names
only what it measures. A process can register a name once, so each namespace's set is made
once and shared by every room of the process (the rooms tell themselves apart by label).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

_WAIT_BUCKETS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)


@dataclass(frozen=True, slots=True)
class RoomMetrics:
    waiting: Gauge
    line_length: Gauge
    active: Gauge
    on: Gauge
    admitted: Counter
    admitted_per_minute: Gauge
    abandoned: Counter
    estimated_wait: Histogram
    actual_wait: Histogram
    wait_error: Histogram
    pass_failures: Counter


@cache
def room_metrics(namespace: str) -> RoomMetrics:
    """The room's figures named ``<namespace>_room_*`` (``room_*`` for an empty namespace)."""
    room = ["room"]
    return RoomMetrics(
        waiting=Gauge(
            "waiting",
            "People in line who polled within the grace period.",
            room,
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="room",
        ),
        line_length=Gauge(
            "line_length",
            "Places between the front and the tail of the line.",
            room,
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="room",
        ),
        active=Gauge(
            "active",
            "Pass holders seen on this instance within the window.",
            room,
            multiprocess_mode="livesum",
            namespace=namespace,
            subsystem="room",
        ),
        on=Gauge(
            "on",
            "1 while the room queues newcomers.",
            room,
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="room",
        ),
        admitted=Counter(
            "admitted_total",
            "People let through by the inlet.",
            room,
            namespace=namespace,
            subsystem="room",
        ),
        admitted_per_minute=Gauge(
            "admitted_per_minute",
            "Measured outflow of the line, places per minute.",
            room,
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="room",
        ),
        abandoned=Counter(
            "abandoned_total",
            "Places skipped because their holder left.",
            room,
            namespace=namespace,
            subsystem="room",
        ),
        estimated_wait=Histogram(
            "estimated_wait_seconds",
            "Wait announced when each admitted person joined.",
            room,
            buckets=_WAIT_BUCKETS,
            namespace=namespace,
            subsystem="room",
        ),
        actual_wait=Histogram(
            "actual_wait_seconds",
            "Time from joining to admission.",
            room,
            buckets=_WAIT_BUCKETS,
            namespace=namespace,
            subsystem="room",
        ),
        wait_error=Histogram(
            "wait_estimate_error_ratio",
            "|estimated - actual| / actual per admitted person.",
            room,
            buckets=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
            namespace=namespace,
            subsystem="room",
        ),
        pass_failures=Counter(
            "pass_validation_failures_total",
            "Passes and tickets refused, by reason.",
            [*room, "reason"],
            namespace=namespace,
            subsystem="room",
        ),
    )

"""Prometheus metrics of the waiting room (``northbound_room_*``), labelled by room."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

WAITING = Gauge(
    "northbound_room_waiting",
    "People in line who polled within the grace period.",
    ["room"],
    multiprocess_mode="livemax",
)
LINE_LENGTH = Gauge(
    "northbound_room_line_length",
    "Places between the front and the tail of the line.",
    ["room"],
    multiprocess_mode="livemax",
)
ACTIVE = Gauge(
    "northbound_room_active",
    "Pass holders seen on this instance within the window.",
    ["room"],
    multiprocess_mode="livesum",
)
ROOM_ON = Gauge(
    "northbound_room_on",
    "1 while the room queues newcomers.",
    ["room"],
    multiprocess_mode="livemax",
)
ADMITTED = Counter("northbound_room_admitted_total", "People let through by the inlet.", ["room"])
ADMITTED_PER_MINUTE = Gauge(
    "northbound_room_admitted_per_minute",
    "Measured outflow of the line, places per minute.",
    ["room"],
    multiprocess_mode="livemax",
)
ABANDONED = Counter(
    "northbound_room_abandoned_total", "Places skipped because their holder left.", ["room"]
)
ESTIMATED_WAIT = Histogram(
    "northbound_room_estimated_wait_seconds",
    "Wait announced when each admitted person joined.",
    ["room"],
    buckets=(10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)
ACTUAL_WAIT = Histogram(
    "northbound_room_actual_wait_seconds",
    "Time from joining to admission.",
    ["room"],
    buckets=(10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)
WAIT_ERROR = Histogram(
    "northbound_room_wait_estimate_error_ratio",
    "|estimated - actual| / actual per admitted person.",
    ["room"],
    buckets=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
)
PASS_FAILURES = Counter(
    "northbound_room_pass_validation_failures_total",
    "Passes and tickets refused, by reason.",
    ["room", "reason"],
)

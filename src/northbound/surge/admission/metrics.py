"""Prometheus figures for admission control (process-wide, registered once on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LIMIT = Gauge(
    "northbound_surge_limit", "Current adaptive concurrency limit.", multiprocess_mode="livesum"
)
IN_FLIGHT = Gauge(
    "northbound_surge_in_flight",
    "Requests admitted and not yet finished.",
    multiprocess_mode="livesum",
)
QUEUE_LENGTH = Gauge(
    "northbound_surge_queue_length", "Requests waiting for admission.", multiprocess_mode="livesum"
)
QUEUE_WAIT = Histogram(
    "northbound_surge_queue_wait_seconds",
    "Time a request spent in the admission queue (admitted or shed).",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
ADMITTED = Counter(
    "northbound_surge_admitted_total", "Requests admitted, by priority.", ["priority"]
)
SHED = Counter(
    "northbound_surge_shed_total",
    "Requests turned away with 503, by priority and reason.",
    ["priority", "reason"],
)
LOOP_LAG = Gauge(
    "northbound_surge_loop_lag_seconds",
    "How late the event loop ran a periodic timer.",
    multiprocess_mode="livemax",
)
ACCEPT_QUEUE = Gauge(
    "northbound_surge_accept_queue_depth",
    "Connections waiting in the kernel to be accepted by this process.",
    multiprocess_mode="livemax",
)

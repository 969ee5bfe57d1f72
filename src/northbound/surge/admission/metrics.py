"""Prometheus figures of admission control (``<namespace>_surge_*``).

The namespace is the site's (``northbound``), handed in by whoever wires the layer; a process
registers a name once, so each namespace's set is made once and shared process-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Counter, Gauge, Histogram


@dataclass(frozen=True, slots=True)
class AdmissionMetrics:
    limit: Gauge
    in_flight: Gauge
    queue_length: Gauge
    queue_wait: Histogram
    admitted: Counter
    shed: Counter
    loop_lag: Gauge
    accept_queue: Gauge


@cache
def admission_metrics(namespace: str) -> AdmissionMetrics:
    """Admission control's figures named ``<namespace>_surge_*`` (``surge_*`` when empty)."""
    return AdmissionMetrics(
        limit=Gauge(
            "limit",
            "Current adaptive concurrency limit.",
            multiprocess_mode="livesum",
            namespace=namespace,
            subsystem="surge",
        ),
        in_flight=Gauge(
            "in_flight",
            "Requests admitted and not yet finished.",
            multiprocess_mode="livesum",
            namespace=namespace,
            subsystem="surge",
        ),
        queue_length=Gauge(
            "queue_length",
            "Requests waiting for admission.",
            multiprocess_mode="livesum",
            namespace=namespace,
            subsystem="surge",
        ),
        queue_wait=Histogram(
            "queue_wait_seconds",
            "Time a request spent in the admission queue (admitted or shed).",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
            namespace=namespace,
            subsystem="surge",
        ),
        admitted=Counter(
            "admitted_total",
            "Requests admitted, by priority.",
            ["priority"],
            namespace=namespace,
            subsystem="surge",
        ),
        shed=Counter(
            "shed_total",
            "Requests turned away with 503, by priority and reason.",
            ["priority", "reason"],
            namespace=namespace,
            subsystem="surge",
        ),
        loop_lag=Gauge(
            "loop_lag_seconds",
            "How late the event loop ran a periodic timer.",
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="surge",
        ),
        accept_queue=Gauge(
            "accept_queue_depth",
            "Connections waiting in the kernel to be accepted by this process.",
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="surge",
        ),
    )

"""What one limiter tells Prometheus, and when.

Admissions, the count in flight and the limit change on every request; each ``inc`` or ``set``
takes a lock (or, with several workers, writes a memory-mapped file), and three of them cost
more than the rest of admitting a request. So those three are kept in plain Python and handed
over in batches (:class:`~northbound.surge.batching.FlushSchedule`); what happens only under
pressure (a refusal, a wait in the queue) goes over at once.
"""

from __future__ import annotations

from collections.abc import Callable

from northbound.surge.admission.metrics import AdmissionMetrics
from northbound.surge.admission.permit import ShedReason
from northbound.surge.admission.priority import Priority
from northbound.surge.batching import FlushSchedule


class LimiterFigures:
    def __init__(self, metrics: AdmissionMetrics, read: Callable[[], tuple[int, int]]) -> None:
        """``read`` gives the limiter's (in flight, limit) at the time of a flush."""
        self._metrics = metrics
        self._read = read
        self._admitted = {p: metrics.admitted.labels(p.label) for p in Priority}
        self._unexported = dict.fromkeys(Priority, 0)
        self._schedule = FlushSchedule(self.flush)
        metrics.limit.set(read()[1])

    def changed(self, now: float) -> None:
        """The count in flight moved at ``now``."""
        self._schedule.changed(now)

    def admitted(self, priority: Priority) -> None:
        self._unexported[priority] += 1

    def flush(self) -> None:
        in_flight, limit = self._read()
        self._metrics.in_flight.set(in_flight)
        self._metrics.limit.set(limit)
        for priority, count in self._unexported.items():
            if count:
                self._admitted[priority].inc(count)
                self._unexported[priority] = 0

    def shed(self, priority: Priority, reason: ShedReason) -> None:
        self._metrics.shed.labels(priority.label, reason.value).inc()

    def queued(self, waiting: int) -> None:
        self._metrics.queue_length.set(waiting)

    def dequeued(self, waiting: int, waited: float) -> None:
        self._metrics.queue_length.set(waiting)
        self._metrics.queue_wait.observe(waited)

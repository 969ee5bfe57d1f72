"""When to hand a batch of figures to Prometheus: soon after they change, not on every change.

``prometheus_client`` takes a lock (or, with several workers, writes a memory-mapped file) for
every ``inc``, ``set`` and ``observe``; on a path that runs for every request that is a share
of the request worth saving. Whoever keeps figures in plain Python calls :meth:`changed`
after updating them; the batch goes over at most ``interval`` seconds after its first change,
on the running event loop's timer, or at once where no loop runs (a test, a script).

A timer can be lost when its event loop ends before it fires (tests run many loops in one
process): a batch found older than twice the interval is then handed over by the next change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class FlushSchedule:
    def __init__(self, flush: Callable[[], None], interval: float = 1.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._flush = flush
        self.interval = interval
        self._started: float | None = None

    def changed(self, now: float) -> None:
        """Note a change at ``now`` (any monotonic clock, the same on every call)."""
        started = self._started
        if started is None:
            self._started = now
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            loop.call_later(self.interval, self.flush)
        elif now - started > 2 * self.interval:
            self.flush()

    def flush(self) -> None:
        """Hand the batch over now (also what the timer calls)."""
        self._started = None
        self._flush()

"""Event-loop lag: how late a periodic timer fires.

Latency samples only exist for requests that finished. When the loop itself is starved (too many
connections being parsed, a CPU-heavy page), new requests wait before any handler runs and no
RTT shows it yet. A timer that should fire every ``interval`` seconds and fires late measures that
hidden queue directly.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from northbound.surge.admission.metrics import AdmissionMetrics
from northbound.surge.background import cancel_and_wait


class LagSignal(Protocol):
    @property
    def lag(self) -> float:
        """Recent event-loop lag in seconds."""
        ...


class LoopLagMonitor:
    """Samples loop lag every ``interval`` seconds once :meth:`start` is called in a loop.

    The reading rises at once to a new high and halves on each calmer tick, so a single spike is
    remembered for a few ticks but a recovered loop is trusted again within ~``5 * interval``.
    """

    def __init__(self, interval: float = 0.05, *, metrics: AdmissionMetrics | None = None) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self._metrics = metrics
        self._lag = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def lag(self) -> float:
        return self._lag

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def record(self, reading: float) -> None:
        """Fold one lateness reading (seconds) into the signal."""
        self._lag = max(max(reading, 0.0), self._lag * 0.5)
        if self._metrics is not None:
            self._metrics.loop_lag.set(self._lag)

    def start(self) -> None:
        """Start sampling in the running loop (idempotent)."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.record(loop.time() - expected)

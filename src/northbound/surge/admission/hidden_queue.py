"""The two overload signals that latency samples cannot give, and the veto they cast.

Event-loop lag and the accept queue's wait see work queued *before* a request reaches the
app (a starved loop; connections the kernel holds while a CPU-bound server accepts them in
batches). Both are seconds, each with its threshold. Past a threshold a sheddable request
is refused at the door with probability ``excess / threshold`` (all of them at twice the
threshold); :mod:`.limiter` explains why in proportion, and why only sheddable requests.
"""

from __future__ import annotations

from collections.abc import Callable

from northbound.surge.admission.accept_queue import BacklogSignal
from northbound.surge.admission.loop_lag import LagSignal
from northbound.surge.admission.permit import ShedReason


class HiddenQueue:
    def __init__(
        self,
        *,
        lag_signal: LagSignal | None,
        lag_threshold: float,
        backlog_signal: BacklogSignal | None,
        backlog_max_wait: float,
        random: Callable[[], float],
    ) -> None:
        self.lag_signal = lag_signal
        self.lag_threshold = lag_threshold
        self.backlog_signal = backlog_signal
        self.backlog_max_wait = backlog_max_wait
        self._random = random

    def excess(self) -> tuple[float, float]:
        """How far past its threshold each signal is (loop lag, accept wait), as a fraction
        of the threshold; 0 when within it."""
        lag = wait = 0.0
        if self.lag_signal is not None:
            lag = max(0.0, self.lag_signal.lag / self.lag_threshold - 1.0)
        if self.backlog_signal is not None:
            wait = max(0.0, self.backlog_signal.wait / self.backlog_max_wait - 1.0)
        return lag, wait

    def behind(self) -> bool:
        lag, wait = self.excess()
        return lag > 0.0 or wait > 0.0

    def veto(self) -> ShedReason | None:
        """Which signal, if any, refuses this sheddable request (drawn in proportion to the
        excess: certain at twice the threshold)."""
        lag, wait = self.excess()
        if lag == 0.0 and wait == 0.0:
            return None
        draw = self._random()
        if lag > draw:
            return ShedReason.LOOP_LAG
        if wait > draw:
            return ShedReason.BACKLOG
        return None

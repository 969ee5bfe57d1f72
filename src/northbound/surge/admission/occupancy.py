"""What is inside: requests in flight, in flight integrated over time, and what was shed.

The :class:`~.limiter.Limiter` decides who starts; this counts what that leaves running, for
whoever reads the capacity signal (:class:`northbound.surge.capacity.CapacitySignal`: the
waiting room's inlet). Everything is counted twice: for all requests, and for those of the
people the waiting room let in (*holders*, as the caller says on admission), whose
load the inlet reads apart from the open pages' (see :mod:`northbound.surge.waiting_room.inlet`).

Why an integral. A reader wants the *mean* concurrency between two of its readings: the count
at one instant is mostly noise (0 or 1 between requests on a fast page, 20 a millisecond
later). ``busy_seconds`` is the in-flight count integrated over time, kept exact by settling
it at every change; the difference of two readings over the time between them is the mean.
"""

from __future__ import annotations

from northbound.surge.types import Clock


class Occupancy:
    """The counts and integrals; the limiter changes them only through the methods below."""

    __slots__ = (
        "_at", "_busy", "_clock", "_holders_busy", "holders_in_flight", "holders_shed_total",
        "in_flight", "shed_total",
    )  # fmt: skip

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.in_flight = 0
        self.holders_in_flight = 0
        self.shed_total = 0
        self.holders_shed_total = 0
        self._busy = 0.0
        self._holders_busy = 0.0
        self._at = clock()

    @property
    def busy_seconds(self) -> float:
        self.settle()
        return self._busy

    @property
    def holders_busy_seconds(self) -> float:
        self.settle()
        return self._holders_busy

    def settle(self) -> float:
        """Bring the integrals up to now (the counts are about to change, or be read); now."""
        now = self._clock()
        elapsed = now - self._at
        if elapsed > 0:  # a clock read twice may not move, and a fake one may step back
            self._busy += self.in_flight * elapsed
            self._holders_busy += self.holders_in_flight * elapsed
        self._at = now
        return now

    def occupy(self, slots: int, holder: bool = False) -> float:
        """Take (or, negative, give back) slots, a holder's or not; the time it happened."""
        now = self.settle()
        self.in_flight += slots
        if holder:
            self.holders_in_flight += slots
        return now

    def shed(self, holder: bool = False) -> None:
        """A request was refused (a holder's: counted among all and apart)."""
        self.shed_total += 1
        if holder:
            self.holders_shed_total += 1

"""What admission control answers a request: a permit to run, or the reason it is shed.

The permit is kept apart from the :class:`~.limiter.Limiter` that issues it: it is all a
request holds while it runs, and it needs only three things of its issuer (:class:`Issuer`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from northbound.surge.admission.priority import Priority


class Issuer(Protocol):
    """What a permit needs of the limiter that issued it."""

    def now(self) -> float: ...

    def give_back(self, permit: Permit, *, dropped: bool, sample: bool) -> None: ...

    def take_again(self, permit: Permit) -> None: ...


class ShedReason(StrEnum):
    QUEUE_FULL = "queue_full"
    TIMEOUT = "timeout"
    LOOP_LAG = "loop_lag"
    BACKLOG = "backlog"
    DISPLACED = "displaced"


class Permit:
    """The right to run one request. Release it exactly once, when the response is done."""

    __slots__ = (
        "_aside_since", "_committed", "_holder", "_limiter", "_released", "in_flight", "priority",
        "start",
    )  # fmt: skip

    def __init__(
        self,
        limiter: Issuer,
        priority: Priority,
        start: float,
        in_flight: int,
        holder: bool,
        committed: bool = False,
    ) -> None:
        self._limiter = limiter
        self.priority = priority
        self.start = start
        self.in_flight = in_flight
        self._released = False
        self._aside_since: float | None = None
        self._holder = holder
        self._committed = committed

    @property
    def holder(self) -> bool:
        """Whether this is the request of someone the waiting room let in (said on admission:
        the issuer counts its slot among theirs, ``holders_busy_seconds``)."""
        return self._holder

    @property
    def committed(self) -> bool:
        """Whether this request was admitted as one the site had committed to serve (the one
        that ends a wait in the waiting room, :meth:`~.limiter.Limiter.admit_committed`):
        whatever else it waits for must not turn it away either."""
        return self._committed

    def step_aside(self) -> None:
        """Give the slot back for a while, keeping the permit: the request is about to wait on
        something bounded separately (a password-hashing pool), using neither the event loop
        nor the database meanwhile. Without this, a queue elsewhere fills the concurrency
        limit with requests doing nothing and every page times out behind them."""
        if self._released or self._aside_since is not None:
            return
        self._aside_since = self._limiter.now()
        self._limiter.give_back(self, dropped=False, sample=False)  # the slot only, no sample

    def step_back(self) -> None:
        """Take a slot again, at once and over the limit if need be: the request was admitted
        and is part way through. The time aside is left out of its latency sample."""
        if self._aside_since is None:
            return
        self.start += self._limiter.now() - self._aside_since
        self._aside_since = None
        if self._released:
            return
        self._limiter.take_again(self)

    def release(self, *, dropped: bool = False, sample: bool = True) -> None:
        """Give the slot back. ``sample=False`` keeps this request out of the limit's evidence
        (for example a client that disconnected, whose time says nothing about the server)."""
        if self._released:
            return
        self._released = True
        if self._aside_since is not None:  # its slot is already back
            self._aside_since = None
            return
        self._limiter.give_back(self, dropped=dropped, sample=sample)

"""What a limit algorithm sees and what it answers.

A ``Limit`` is only arithmetic: it takes one sample per finished request and keeps a concurrency
limit. Enforcement (counting, queueing, shedding) lives in :mod:`.limiter`, so algorithms can be
swapped and tested on synthetic sample streams without an event loop.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from northbound.surge.types import MONOTONIC, Clock

DEFAULT_CLOCK: Clock = MONOTONIC


class Sample(NamedTuple):
    """One finished request as a limit algorithm sees it.

    ``start`` is the clock reading when the request was admitted, ``rtt`` how long it took,
    ``in_flight`` how many requests were in flight when it was admitted (itself included), and
    ``dropped`` whether it failed in a way that signals overload (timeout, crash, cancelled).
    A named tuple (immutable, as before) because one is made for every request: a frozen
    dataclass costs several times as much to build.
    """

    start: float
    rtt: float
    in_flight: int
    dropped: bool = False


class Limit(Protocol):
    """An adaptive (or fixed) concurrency limit."""

    @property
    def limit(self) -> int: ...

    def on_sample(self, sample: Sample) -> None: ...


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class FixedLimit:
    """A limit that never moves: ``limit = value``.

    Useful as a baseline, and for a backend whose capacity is known exactly (a pool of N
    database connections). Default: 20.
    """

    def __init__(self, value: int = 20) -> None:
        if value < 1:
            raise ValueError("a fixed limit must be at least 1")
        self._value = value

    @property
    def limit(self) -> int:
        return self._value

    def on_sample(self, sample: Sample) -> None:
        """Samples are ignored: that is the point of a fixed limit."""

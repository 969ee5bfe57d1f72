"""A browser's time limit on each request, kept out of the event heap until it matters.

Every request a person sends to the servers starts their browser's limit (``timeout``, or
``reload_after`` for people who reload), and almost every one is answered long before it:
scheduled as an event each, they were a fifth of all events, nearly all of them doing
nothing when their time came. Limits of one length fall due in the order they were set, so
each length keeps its limits in a first-in first-out line with a single event in the heap,
for the first limit still running (its request not yet answered). When that event comes,
every limit due runs; limits whose request was answered meanwhile are dropped without ever
reaching the heap, and the event is set again for the next limit still running.

A limit runs at the same virtual time as an event of its own would have; only its order
against another event due at the very same instant may differ.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from .events import Simulation


class Waiter(Protocol):
    """Someone whose request may outlast its limit (a simulated person)."""

    def still_waiting(self, seq: int) -> bool:
        """Whether request ``seq`` is still unanswered (once False, never True again)."""
        ...

    def timed_out(self, seq: int) -> None: ...


class _Line:
    __slots__ = ("armed", "limits", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.limits: deque[tuple[float, Waiter, int]] = deque()
        self.armed = False  # an event is in the heap for the first limit


class Deadlines:
    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self._lines: dict[float, _Line] = {}

    def start(self, seconds: float, waiter: Waiter, seq: int) -> None:
        """Call ``waiter.timed_out(seq)`` in ``seconds`` unless request ``seq`` is answered."""
        line = self._lines.get(seconds)
        if line is None:
            line = self._lines[seconds] = _Line(seconds)
        sim = self._sim
        due = sim.now + seconds if seconds > 0 else sim.now
        line.limits.append((due, waiter, seq))
        if not line.armed:
            line.armed = True
            sim.at(due, self._due, line)

    def _due(self, line: _Line) -> None:
        limits = line.limits
        now = self._sim.now
        while limits:
            due, waiter, seq = limits[0]
            if due <= now:
                limits.popleft()
                if waiter.still_waiting(seq):
                    waiter.timed_out(seq)
            elif not waiter.still_waiting(seq):
                limits.popleft()  # answered: this limit will never matter
            else:
                self._sim.at(due, self._due, line)
                return
        line.armed = False

"""The discrete-event loop: a clock that jumps from one scheduled action to the next.

Actions sit in a binary heap keyed by ``(time, sequence)``; the sequence number breaks ties in
the order actions were scheduled, so a run is a pure function of its inputs and seed (two
actions at the same instant never race). Popping is ``O(log n)`` in the number of *pending*
actions, not in the number that ever ran: memory follows what is still to happen.

Why not ``simpy``: its processes are generators resumed through an environment and events
objects; the simulator schedules plain callables millions of times, and the plain heap is
several times cheaper per event. Why not ``asyncio``: its loop reads the wall clock; the
surge code's few ``await`` points are bridged by :mod:`.aio` instead.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

Action = Callable[..., object]


class Timer:
    """A scheduled action that can still be called off (``cancel``)."""

    __slots__ = ("action", "args", "when")

    def __init__(self, when: float, action: Action | None, args: tuple[Any, ...]) -> None:
        self.when = when
        self.action = action
        self.args = args

    def cancel(self) -> None:
        self.action = None

    @property
    def cancelled(self) -> bool:
        return self.action is None


class Simulation:
    """Virtual time in seconds, starting at ``start``; callables run in time order."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, Timer]] = []
        self._sequence = 0
        self.events = 0  # actions run so far (for the speed figures)

    def clock(self) -> float:
        """The virtual clock, in the ``Callable[[], float]`` shape the surge code injects."""
        return self.now

    def at(self, when: float, action: Action, *args: Any) -> Timer:
        """Run ``action(*args)`` at virtual time ``when`` (never earlier than now)."""
        timer = Timer(max(when, self.now), action, args)
        self._sequence += 1
        heapq.heappush(self._heap, (timer.when, self._sequence, timer))
        return timer

    def after(self, delay: float, action: Action, *args: Any) -> Timer:
        return self.at(self.now + delay, action, *args)

    @property
    def pending(self) -> int:
        return len(self._heap)

    def run(self, until: float) -> None:
        """Run every action due up to ``until``, then leave the clock at ``until``."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= until:
            when, _, timer = pop(heap)
            action = timer.action
            if action is None:
                continue
            self.now = when
            self.events += 1
            action(*timer.args)
        self.now = max(self.now, until)

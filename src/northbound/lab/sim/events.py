"""The discrete-event loop: a clock that jumps from one scheduled action to the next.

Actions sit in a binary heap of plain tuples ``(time, sequence, action, args)``; the sequence
number breaks ties in the order actions were scheduled, so a run is a pure function of its
inputs and seed (two actions at the same instant never race, and the action itself is never
compared). Popping is ``O(log n)`` in the number of *pending* actions, not in the number that
ever ran: memory follows what is still to happen.

Most actions are never called off, so :meth:`Simulation.at` and :meth:`~Simulation.after`
return nothing and cost one tuple each. An action that may have to be called off is a
:class:`Timer` (:meth:`Simulation.timer`): the heap holds the timer, which does nothing when
its time comes if it was cancelled. A person's page timeout is not one of them: the person
ignores a timeout for a request already answered, which costs less than calling it off.

Why not ``simpy``: its processes are generators resumed through an environment and events
objects; the simulator schedules plain callables millions of times, and the plain heap is
several times cheaper per event. Why not ``asyncio``: its loop reads the wall clock; the
surge code's few ``await`` points are bridged by :mod:`.aio` instead.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

Action = Callable[..., object]

_push = heapq.heappush


class Timer:
    """A scheduled action that can still be called off (``cancel``)."""

    __slots__ = ("action", "args", "when")

    def __init__(self, when: float, action: Action | None, args: tuple[Any, ...]) -> None:
        self.when = when
        self.action = action
        self.args = args

    def __call__(self) -> None:
        action = self.action
        if action is not None:
            action(*self.args)

    def cancel(self) -> None:
        self.action = None

    @property
    def cancelled(self) -> bool:
        return self.action is None


class Simulation:
    """Virtual time in seconds, starting at ``start``; callables run in time order."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, Action, tuple[Any, ...]]] = []
        self._sequence = itertools.count(1)
        self.events = 0  # actions run so far, called-off timers included (speed figures)

    def clock(self) -> float:
        """The virtual clock, in the ``Callable[[], float]`` shape the surge code injects."""
        return self.now

    def at(self, when: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` at virtual time ``when`` (never earlier than now)."""
        if when < self.now:
            when = self.now
        _push(self._heap, (when, next(self._sequence), action, args))

    def after(self, delay: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` ``delay`` seconds from now (``at``, spelled out: it is the
        simulator's most frequent call)."""
        now = self.now
        _push(self._heap, (now + delay if delay > 0 else now, next(self._sequence), action, args))

    def timer(self, when: float, action: Action, *args: Any) -> Timer:
        """``at``, for an action that may be called off: ``cancel()`` the timer returned."""
        timer = Timer(max(when, self.now), action, args)
        entry: tuple[float, int, Action, tuple[Any, ...]] = (
            timer.when, next(self._sequence), timer, ()
        )  # fmt: skip
        _push(self._heap, entry)
        return timer

    @property
    def pending(self) -> int:
        return len(self._heap)

    def run(self, until: float) -> None:
        """Run every action due up to ``until``, then leave the clock at ``until``."""
        heap = self._heap
        pop = heapq.heappop
        ran = 0
        try:
            while heap and heap[0][0] <= until:
                when, _, action, args = pop(heap)
                self.now = when
                ran += 1
                action(*args)
        finally:
            self.events += ran
        if until > self.now:
            self.now = until

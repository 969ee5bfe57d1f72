"""The line as one visitor sees it: their place, how many are ahead, the wait, when to poll.

Answered from memory on every poll, from the view of the shared state the tick last took
(:attr:`~.tick.Tick.state`) and the outflow it measured: nothing here touches the store or
changes the room.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import NamedTuple

from .config import WaitingRoomSettings
from .estimator import Estimate, OutflowEstimator, due_seconds
from .tick import Tick


class WaitView(NamedTuple):
    """What the waiting page and its JSON twin show one visitor."""

    position: int | None  # None in the pre-queue, before the opening shuffles it
    ahead: int
    estimate: Estimate | None
    refresh_seconds: int
    opens_at: float | None = None
    rejoined: bool = False  # their old place was given up after they went away
    paused: bool = False  # an operator paused the inlet: nobody is let in for now


@dataclass(frozen=True, slots=True)
class Waiting:
    token: str | None  # None: the ticket the visitor holds is still the right one
    view: WaitView


class Line:
    def __init__(
        self,
        settings: WaitingRoomSettings,
        tick: Tick,
        estimator: OutflowEstimator,
        rng: random.Random,
    ) -> None:
        self._tick = tick
        self._estimator = estimator
        self._rng = rng
        self._low = settings.min_refresh_seconds
        # never longer than a third of the abandon grace: someone polling at this pace is seen
        # several times per grace, so one late or lost poll does not cost them their place
        self._high = max(
            self._low, min(settings.max_refresh_seconds, settings.abandon_grace_seconds // 3)
        )
        self._prequeue_high = settings.max_refresh_seconds

    def refresh_seconds(self, ahead: int, estimate: Estimate | None) -> int:
        """Poll interval: short near the front, longer further back, jittered by +/-20%::

            base = clamp(estimate / 5  (or low + ahead / 50 with no estimate), low, high)

        A visitor whose turn is due within twice the shortest interval is told to come back
        when it is due: they find out at their next poll, so a fixed interval would add up to
        a whole interval to a short wait, and make the wait they were promised untrue. (Due in
        exactly the shortest interval counts: jittered, it sent a fifth of those told "5
        seconds" back at 4, a moment too early, to wait again. Up to twice that, because a
        poll at the shortest interval then comes early and the next one late: told 7 s, a
        visitor polled at about 5 and found out at about 10. Further back, the estimate at a
        later poll falls into this range, and that poll is timed.)
        """
        low = self._low
        if estimate is not None and estimate.seconds <= 2 * low:
            return max(1, min(estimate.seconds, self._high))
        base = estimate.seconds / 5 if estimate is not None else low + ahead / 50
        base = min(max(base, low), self._high)
        # uniform(0.8, 1.2) spelled out: the same draw without a Python-level call
        return max(1, round(base * (0.8 + 0.4 * self._rng.random())))

    def view(self, position: int, now: float, released: int, rejoined: bool = False) -> WaitView:
        """How ``position`` stands at ``now``, when the line has let in up to ``released``
        (:meth:`~.tick.Tick.released`, which the caller has just read to see the place is
        not in yet)."""
        tick = self._tick
        state = tick.state
        ahead = position - released - 1
        if ahead < 0:
            ahead = 0
        estimate: Estimate | None  # what the page shows
        timing: Estimate | None  # what the next poll is timed by
        if position <= state.serving:  # in the batch being let in (a pause does not stop it)
            at = tick.release_time(position)
            seconds = max(1, math.ceil((at if at is not None else now) - now))
            estimate = timing = tuple.__new__(Estimate, (seconds, seconds, seconds))
        elif state.paused:
            estimate = timing = None  # the outflow is zero for as long as the operator says
        else:
            until_start = max(0.0, tick.next_at - now)
            estimate = timing = self._estimator.estimate(position - state.serving, until_start)
            if estimate is None:  # no speed measured yet: the next poll follows the plan
                timing = self._planned(position - state.serving, until_start)
        refresh = self.refresh_seconds(ahead, timing)
        # tuple.__new__ skips NamedTuple's keyword handling: this runs on every poll
        view: WaitView = tuple.__new__(
            WaitView, (position, ahead, estimate, refresh, None, rejoined, state.paused)
        )
        return view

    def _planned(self, places: int, until_start: float) -> Estimate | None:
        """When the inlet's own pace would reach a place: for timing the next poll only, in
        the seconds after the room turns on, before it has measured a speed to show.

        Without it, everyone who joined then was told to come back in the shortest interval
        or later (5 s and up), though the inlet let the first of them in on its next tick: on
        the lab's election night the site then idled for 4-6 s at the worst moment, the line
        growing by a hundred a second, while the people let in had not yet found out. The
        page still shows no estimate: this is the inlet's plan, not a measured speed.
        """
        rate = self._tick.planned_rate()
        if rate <= 0:
            return None
        seconds = due_seconds(places, rate, 0.0, until_start)
        planned: Estimate = tuple.__new__(Estimate, (seconds, seconds, seconds))
        return planned

    def prequeue_view(self, now: float) -> WaitView:
        opens_at = self._tick.state.opens_at or now
        until = max(0.0, opens_at - now)
        # spread the first polls after the opening over a few seconds instead of one instant
        refresh = min(self._prequeue_high, until) + self._rng.uniform(1, 6)
        return WaitView(None, 0, None, max(1, math.ceil(refresh)), opens_at=opens_at)

"""Estimated wait from what the room measures: how fast it lets people in, and how fast
the people in line give up.

Over the last window the room sees, from its shared counters, the people it let in (``r``
a second), the people still polling (``L``, the live line), and the joins; whoever joined
and is neither let in nor still in line gave up, so the abandonment *hazard* ``h`` (the share
of the live line that leaves per second) is::

    h = (joined - let_in - change_in_L) / (mean L * window)

A visitor with ``ahead`` places in front of them has about ``A = ahead * L / waiting`` live
people ahead (places of people already gone are skipped for free). Those people leave the
line in two ways: let in at ``r`` a second, and giving up at ``h * A(t)`` a second, so
``dA/dt = -r - h*A``, which empties at::

    W = ln(1 + h * A / r) / h        (-> A / r as h -> 0)

Left out, the people who will give up while waiting made every long wait look longer than it
turned out (in a crowd of impatient browsers, estimates several times the actual wait).

Ghosts. The room learns that someone gave up only when their place has gone unseen for the
abandon grace (``L`` counts them until 1x-1.5x the grace after their last poll): at any moment
the live line holds about ``G = departures a second * D`` people who have already left, with
``D`` (``ghost_seconds``) the mean time they still count (and the departures themselves are
read that much late). So ``G`` is taken out of the live line before ``h`` and ``A`` are read
from it. Not all of the ``G * ahead / waiting`` ghosts ahead of a visitor are free, though:
one the front reaches before the room sees it gone is let in (a place for nobody), and the
inlet's speed already counts it. A ghost's remaining time to be seen gone is spread evenly
over ``[0, D]``; the front reaches the ghosts ahead evenly over the wait ``W``, so the share
of them that cost a place is::

    1 - W / (2 * D)   for W <= D,        D / (2 * W)   beyond

and those are put back among the people ahead (``W`` from the ghost-free line, one step).
How many: in a crowd that held the site full for two minutes (the lab's ``surge-hold``) about
ten people a second gave up, so some 750 of a live line of 1,500-1,800 had already left. On
a virtual line of that kind (``test_estimator``: the lab's patience, a steady line) the error
of the waits shown went from 32 % / 49 % (median / p90) to 5 % / 30 %. What it does not mend:
in the lab's runs, waits of over two minutes shown at the height of a surge still turn out
0.29-0.42 of what was shown (0.35-0.46 before it; a run each, on surge-hold and election
night), because the surge ends within those waits and the line speeds up several times over;
a speed read from the past cannot know that.

Nor can it know the patience of the people ahead when the line is several times more than the
site can take. In the lab's ``surge-hold`` (six times capacity held two minutes; a run on
36d91a0 with the room's every tick logged) newcomers from 36 s after the room turned on to the
end of the hold waited 111-137 s for the front to reach them, with 400 to 1,600 places ahead
and the line moving at 2 to 25 people a second: the wait was pinned by how long people put up
with waiting, because most of those ahead gave up before their turn. In that regime the front
moves past the places of people gone as fast as they go: where ``S(w)`` is the share of people
still waiting ``w`` seconds after joining, it keeps pace with the joins when ``S(w) = let-in
rate / join rate`` (3.5 / 19.5 through that hold), whatever the line's length. (The plateau
sits below what the lab's nominal patience, median 120 s, would give at that ratio: its people
spend patience on slow pages and refusals too, before and after the line.) The room cannot read
``S`` at ages nobody in line has reached yet, and learns of a departure only 1x-1.5x the grace
after it: through the hold it read a hazard of at most 0.03 % a second, where the people who
gave up (1,290 in the run) made 0.2-0.3 % a second by its end. So the first minute's estimates
are short (the wait had not yet reached its plateau: shown 20-60 s, waited 55-111 s) and later
ones long (ahead / rate with no abandonment: shown 400-570 s, waited 120-135 s; the crowd's
figures in that run: 0.43 / 0.65 median / p90 of the waits that ended while it came, 0.60 /
3.16 of all). Replayed from that tick log (at each tick a newcomer's estimate against the
moment the front reached their place), this estimator made 0.34 / 0.60 of the waits that ended
in the crowd; with the true live line and the true hazard of the last minute in place of the
measured ones it did worse (0.42 / 0.66): a constant hazard misses that people give up more the
longer they have waited. The wait of the person let in last (the usual delay-history estimate)
did worse still: it trails the plateau by a whole wait (0.80 / 0.86).

``W`` counts from the moment the line next moves: this instance's next tick, ``u`` seconds
away, which lets its batch in one place after another over the tick period
(:meth:`~.tick.Tick.released`), so the places beyond the current batch are reached at about
``r`` a second from then::

    wait = ceil(u + W)        (whole seconds: what the page says, and how long the visitor
                               waits before the poll that finds them in)

Why the next tick and the ceiling. The visitor finds out at their next poll, which the room
times for when the turn is due (:meth:`~.line.Line.refresh_seconds`). A poll that comes a
moment early finds the place still waiting and costs a whole further interval, so an
estimate of ``W`` plus half a tick, rounded to the nearest second, was late for more than a
third of the short waits in the lab (2 s shown, 3 s waited; 4 shown, 6 waited): a p90 error
of 40 %. Rounded up from when the line actually moves, the poll comes just after the place is
let in, and the wait shown is the wait had. (With several instances the line also moves on
the others' ticks; this instance's is then a bound, late by under a tick.)

Which speed. ``r`` is the admissions of the last ``rate_window_seconds`` (60 s by default),
not of the whole window: abandonment and the live share need the long window (people give up
over minutes), but the speed of the line changes within tens of seconds, as the inlet finds
the site's capacity after the room turns on, or an operator changes a fixed rate. Why a
minute, after a time at 30 s: since the room leaves the stateless pages open (tools, search),
the line shares the site with people it does not queue, and the inlet stops for ten to
twenty seconds at a time while they fill it, then lets people in at its pace again. Read over
30 s, a stop looked like a slow line and the burst after it like a fast one: in the lab's
election night at twice capacity the estimates were off by 51 % at the median and 217 % at
p90 (the long ones shown during stops, waits of 0.38 of what was shown), and with a minute,
15 % and 34 % (one run each, the same code). A line that changes speed for good is read at
its new speed a little later. Earlier, 30 s against the whole window, in the simulator on
the lab's election-night crowd (compressed 480x, one instance of 250 requests a second):
median / p90 error went from 8.8 / 20 % to 6.1 / 19 % (14,000 people), 5.7 / 14 %
to 5.1 / 13 % (20,000) and 25 / 52 % to 22 / 54 % (30,000). A 15 s window gained more on the
heaviest crowd (median 10 %) and lost on the others (p90 25-33 %): the admissions of single
ticks vary too much to be read over a few seconds. What neither reaches is the minute the
room turns on, when the line's speed is still growing: that minute makes the heaviest
crowd's p90. A slow line (an operator's fixed rate of a few a minute) holds too few
admissions in 30 s to read a speed from: the recent part then reaches back until it holds
``_MIN_RECENT_ADMISSIONS`` (at 5 a minute, 30 s held two or three and the wait shown to 100
people ahead jumped between 1,000 and 1,500 s from one tick to the next).

The range shown comes from the slowest and the fastest sixth of the window's admissions.
Until the window holds a rate (the room just turned on, or nobody has been let in), there is
no estimate rather than a made-up one; nor during the first ``_MIN_SPAN_SECONDS`` of a window:
the first ticks after the room turns on let people in at the pace the inlet starts from, not
at the one it settles on, and estimates read from two or three of them were off by half (the
lab's election night: 32 s shown, 20 waited; 6 shown, 10 waited). The visitor's next poll is
then timed by the pace the inlet means to let people in at (``Line._planned``), so the first
people in line find out on time; that plan is not shown as a wait.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

_MIN_RECENT_ADMISSIONS = 10  # the fewest admissions the line's speed is read from
_MIN_SPAN_SECONDS = 5.0  # the shortest window a wait is estimated from (see the docstring)


class Estimate(NamedTuple):
    seconds: int
    low_seconds: int
    high_seconds: int


class _Reading(NamedTuple):
    time: float
    serving: int
    tail: int
    live: int
    admitted: int


def wait_seconds(live_ahead: float, rate: float, hazard: float) -> float:
    """Time for ``live_ahead`` people to leave a line served at ``rate`` a second while each
    gives up at ``hazard`` a second (see the module docstring)."""
    if hazard <= 1e-9:
        return live_ahead / rate
    return math.log1p(hazard * live_ahead / rate) / hazard


def due_seconds(live_ahead: float, rate: float, hazard: float, until_start: float) -> int:
    """Whole seconds until a visitor with ``live_ahead`` people in front is let in, when the
    line next moves in ``until_start`` seconds (see the module docstring)."""
    return max(1, math.ceil(until_start + wait_seconds(live_ahead, rate, hazard)))


class OutflowEstimator:
    def __init__(
        self,
        window_seconds: float,
        rate_window_seconds: float | None = None,
        ghost_seconds: float = 0.0,
    ) -> None:
        self.window_seconds = window_seconds
        # the speed of the line from its recent part only (see the module docstring)
        self.rate_window_seconds = min(rate_window_seconds or window_seconds, window_seconds)
        self.ghost_seconds = ghost_seconds  # how long someone who left still counts live
        self._readings: deque[_Reading] = deque()
        self._no_rates()

    def _no_rates(self) -> None:
        self._rate = 0.0  # places a second the front moved (let in or skipped)
        self._span = 0.0  # seconds the window's readings cover
        self._admit_rate = self._slow = self._fast = 0.0  # people let in a second
        self._hazard = 0.0  # share of the live line giving up a second
        self._live_share = 1.0
        self._ghost_share = 0.0  # of the places waiting, those of people already gone

    def reset(self) -> None:
        """Forget the window (the line stopped being served by an inlet)."""
        self._readings.clear()
        self._no_rates()

    def observe(self, now: float, serving: int, *, tail: int, live: int, admitted: int) -> None:
        """One tick's reading of the room's shared counters."""
        readings = self._readings
        if readings and serving < readings[-1].serving:
            readings.clear()  # the line was reset
        readings.append(_Reading(now, serving, tail, live, admitted))
        while len(readings) > 2 and now - readings[1].time >= self.window_seconds:
            readings.popleft()
        self._recompute()

    def _recompute(self) -> None:
        readings = self._readings
        first, last = readings[0], readings[-1]
        span = last.time - first.time
        if span <= 0:
            self._no_rates()
            return
        self._span = span
        self._rate = (last.serving - first.serving) / span
        recent = last
        for reading in reversed(readings):  # a few readings back: ticks are a second apart
            if (
                last.time - reading.time > self.rate_window_seconds
                and last.admitted - recent.admitted >= _MIN_RECENT_ADMISSIONS
            ):
                break
            recent = reading
        if recent.time >= last.time:  # none earlier within the rate window: the latest earlier
            recent = next(r for r in reversed(readings) if r.time < last.time)
        self._admit_rate = (last.admitted - recent.admitted) / (last.time - recent.time)
        waiting = max(0, last.tail - last.serving)
        mean_live = sum(r.live for r in readings) / len(readings)
        joined_not_let_in = (last.tail - first.tail) - (last.admitted - first.admitted)
        gave_up = float(max(0, joined_not_let_in - (last.live - first.live)))
        # at most half the live line: a burst of departures over a short window must not
        # empty the line on paper
        ghosts = min(gave_up / span * self.ghost_seconds, last.live / 2)
        live = last.live - ghosts
        self._live_share = min(1.0, live / waiting) if waiting and last.live else 1.0
        self._ghost_share = min(1.0 - self._live_share, ghosts / waiting) if waiting else 0.0
        staying = mean_live - min(ghosts, mean_live / 2)
        self._hazard = gave_up / (staying * span) if staying > 0 else 0.0
        slice_seconds = max(span / 6, 1e-9)
        rates: list[float] = []
        start = first
        for reading in readings:
            if reading.time - start.time >= slice_seconds:
                rates.append((reading.admitted - start.admitted) / (reading.time - start.time))
                start = reading
        self._slow = min(rates, default=self._admit_rate)
        self._fast = max(rates, default=self._admit_rate)

    def figures(self) -> dict[str, float]:
        """What the window holds now, for the tick journal (:mod:`.journal`)."""
        return {
            "eta_span": self._span,
            "eta_admit_rate": self._admit_rate,
            "eta_slow_rate": self._slow,
            "eta_fast_rate": self._fast,
            "eta_hazard": self._hazard,
            "eta_live_share": self._live_share,
            "eta_ghost_share": self._ghost_share,
        }

    @property
    def rate(self) -> float:
        """Places per second the front of the line moved over the window."""
        return self._rate

    def _due(self, live_ahead: float, rate: float, until_start: float) -> int:
        return due_seconds(live_ahead, rate, self._hazard, until_start)

    def estimate(self, ahead: int, until_start: float) -> Estimate | None:
        """The wait of someone ``ahead`` places beyond the batch being let in now, when the
        next batch starts in ``until_start`` seconds."""
        if ahead <= 0:
            return Estimate(0, 0, 0)
        rate = self._admit_rate
        if rate <= 0 or self._span < _MIN_SPAN_SECONDS:
            return None
        live_ahead = ahead * self._live_share
        if self._ghost_share > 0:  # the ghosts the front reaches first (module docstring)
            free = wait_seconds(live_ahead, rate, self._hazard)
            ghost = self.ghost_seconds
            costly = 1 - free / (2 * ghost) if free <= ghost else ghost / (2 * free)
            live_ahead += ahead * self._ghost_share * costly
        seconds = self._due(live_ahead, rate, until_start)
        low = self._due(live_ahead, max(self._fast, rate), until_start)
        slow = min(self._slow, rate)
        high = self._due(live_ahead, slow, until_start) if slow > 0 else 2 * seconds
        # tuple.__new__ skips NamedTuple's keyword handling: this runs on every poll
        estimate: Estimate = tuple.__new__(Estimate, (seconds, low, high))
        return estimate

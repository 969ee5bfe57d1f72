"""Streaming measures: everything a run reports, in memory that grows with the length of
the run (per-second series, per-minute sums) and never with the number of people who left.

- **time to get in**: arrival to the first useful page;
- **fairness**, two ways. *Out of order* (the lab's measure, by arrival time): a person is
  overtaken when they are turned away or shown the waiting page after someone who arrived
  more than ``grace`` seconds after them got in; only the latest arrival time of anyone
  let in needs keeping. A room that admits in order never does that: once the line reaches
  a place, its holder is let in at their next look. *Jain's index* over the waits of the
  people who arrived in the same minute and got in::

      J = (sum w)^2 / (n * sum w^2)          (1 = everyone waited alike, 1/n = one took all)

  reported as the mean over minutes weighted by ``n``;
- **ETA error**: ``|first estimate - actual| / actual``, the actual wait measured from the
  moment the estimate was shown;
- percentiles come from HDR histograms (the lab's), the estimate/actual scatter from a
  fixed-size reservoir sample (Vitter's algorithm R), seeded, so a run stays deterministic.

Values reach the histograms through :class:`Pending` counts: ``hdrh`` spends a few
microseconds of Python on each value it records, and a run records millions of them, most
of them repeats of a few thousand distinct milliseconds. A :class:`Tally` is complete once
:meth:`Tally.flush` has run (``simulate`` does it at the end of a run).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

_MILLIS_MAX = 48 * 3600 * 1000
# latency values are counted under ``window * _WINDOW_STRIDE + millis``: one dict for the
# whole-run histogram and the per-window ones (millis never reach the stride)
_WINDOW_STRIDE = 1 << 28
_PENDING_LIMIT = 20_000  # distinct values held before they go into the histogram


def seconds_histogram() -> HdrHistogram:
    """Durations recorded in milliseconds, up to two days, 2 significant digits."""
    return HdrHistogram(1, _MILLIS_MAX, 2)


def percentile_seconds(histogram: HdrHistogram, percentile: float) -> float | None:
    if histogram.get_total_count() == 0:
        return None
    value: int = histogram.get_value_at_percentile(percentile)
    return round(value / 1000, 3)


def millis(seconds: float) -> int:
    """A duration as the histograms record it: whole milliseconds, 1 ms to two days."""
    value = round(seconds * 1000)
    return 1 if value < 1 else _MILLIS_MAX if value > _MILLIS_MAX else value


class Pending:
    """Values counted on their way into a histogram: each distinct value is recorded once,
    with its count, when the counts are flushed. The histogram ends up exactly as if every
    value had been recorded on its own (a count is a count, in any order); the dict is
    flushed whenever it holds ``_PENDING_LIMIT`` distinct values, so it stays bounded."""

    __slots__ = ("_into", "counts")

    def __init__(self, into: Callable[[int, int], object]) -> None:
        self.counts: dict[int, int] = {}
        self._into = into

    def add(self, value: int) -> None:
        counts = self.counts
        try:
            counts[value] += 1
        except KeyError:  # a new value: the only time the dict grows
            counts[value] = 1
            if len(counts) >= _PENDING_LIMIT:
                self.flush()

    def flush(self) -> None:
        into = self._into
        for value, count in self.counts.items():
            into(value, count)
        self.counts.clear()


class PerSecond:
    """A count per second of the run (the list grows with time, not with people)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list[int] = []

    def add(self, second: float, amount: int = 1) -> None:
        index = int(second)
        values = self.values
        try:  # the common case: a second already counted in
            values[index] += amount
        except IndexError:
            values.extend([0] * (index + 1 - len(values)))
            values[index] += amount

    def set(self, second: float, value: int) -> None:
        self.add(second, 0)
        self.values[int(second)] = value


@dataclass(slots=True)
class _Minute:
    n: int = 0
    total: float = 0.0
    squares: float = 0.0


class Fairness:
    """Jain's index per arrival minute and the out-of-order count (module docstring)."""

    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self.latest_in = -math.inf  # latest arrival time of anyone who got in
        self.overtaken = 0
        self.got_in = 0
        self.people = 0
        self._minutes: dict[int, _Minute] = {}

    def overtakes(self, arrived: float) -> bool:
        """Whether someone who arrived ``grace`` seconds after ``arrived`` is already in."""
        return self.latest_in > arrived + self.grace

    def admitted(self, arrived: float, wait: float) -> None:
        self.got_in += 1
        if arrived > self.latest_in:
            self.latest_in = arrived
        minute = self._minutes.get(int(arrived // 60))
        if minute is None:
            minute = self._minutes[int(arrived // 60)] = _Minute()
        minute.n += 1
        minute.total += wait
        minute.squares += wait * wait

    def jain_by_minute(self) -> list[tuple[int, float]]:
        return [
            (m, (s.total * s.total) / (s.n * s.squares) if s.squares > 0 else 1.0)
            for m, s in sorted(self._minutes.items())
            if s.n >= 2
        ]

    def jain(self) -> float | None:
        weighted = [(self._minutes[m].n, j) for m, j in self.jain_by_minute()]
        people = sum(n for n, _ in weighted)
        return round(sum(n * j for n, j in weighted) / people, 4) if people else None

    @property
    def out_of_order_share(self) -> float | None:
        """Share of people overtaken at least once."""
        return round(self.overtaken / self.people, 4) if self.people else None


class Reservoir:
    """A uniform sample of at most ``size`` items from a stream (algorithm R)."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.items: list[Any] = []
        self.seen = 0
        self._rng = random.Random(seed)

    def offer(self, item: Any) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
            return
        slot = self._rng.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = item


@dataclass
class Tally:
    """What one run measured."""

    window_seconds: float = 60.0  # latency percentiles over time, per window
    latency: HdrHistogram = field(default_factory=seconds_histogram)
    latency_windows: dict[int, HdrHistogram] = field(default_factory=dict)
    time_to_get_in: HdrHistogram = field(default_factory=seconds_histogram)
    eta_error: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 10_000_000, 2))
    estimates: Reservoir = field(default_factory=lambda: Reservoir(2000, 7))
    fairness: Fairness = field(default_factory=Fairness)
    offered: PerSecond = field(default_factory=PerSecond)
    good: PerSecond = field(default_factory=PerSecond)
    got_in: PerSecond = field(default_factory=PerSecond)
    inlet: PerSecond = field(default_factory=PerSecond)
    line: PerSecond = field(default_factory=PerSecond)
    limit: PerSecond = field(default_factory=PerSecond)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    people: int = 0
    bots: int = 0
    bot_answers: int = 0
    completed: int = 0
    gave_up_getting_in: int = 0
    abandoned_journey: int = 0
    saw_room: int = 0
    useful: int = 0
    late: int = 0  # useful pages that took longer than good_within
    wasted: int = 0  # answers the server computed for a client that had gone
    ok: int = 0  # 200s not yet in ``statuses`` (counted apart: most answers are these)
    completion_seconds: HdrHistogram = field(default_factory=seconds_histogram)
    by_journey: dict[str, list[int]] = field(default_factory=dict)  # started, completed

    def __post_init__(self) -> None:
        self._latency = Pending(self._record_latency)
        self._time_to_get_in = Pending(self.time_to_get_in.record_value)
        self._eta_error = Pending(self.eta_error.record_value)
        self._completion = Pending(self.completion_seconds.record_value)

    def flush(self) -> None:
        """Put every pending value into its histogram, and the 200s among the statuses."""
        for pending in (self._latency, self._time_to_get_in, self._eta_error, self._completion):
            pending.flush()
        if self.ok:
            self.statuses["200"] = self.statuses.get("200", 0) + self.ok
            self.ok = 0

    def _record_latency(self, key: int, count: int) -> None:
        window, value = divmod(key, _WINDOW_STRIDE)
        self.latency.record_value(value, count)
        histogram = self.latency_windows.get(window)
        if histogram is None:
            histogram = self.latency_windows[window] = seconds_histogram()
        histogram.record_value(value, count)

    def status(self, code: str) -> None:
        self.statuses[code] = self.statuses.get(code, 0) + 1

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def answered(self, sent: float, now: float, good_within: float) -> None:
        """A useful page, sent at ``sent`` (run seconds), answered at ``now``."""
        seconds = now - sent
        value = round(seconds * 1000)  # millis(seconds), spelled out: once per useful page
        value = 1 if value < 1 else _MILLIS_MAX if value > _MILLIS_MAX else value
        key = int(sent // self.window_seconds) * _WINDOW_STRIDE + value
        try:  # Pending.add, its common case spelled out
            self._latency.counts[key] += 1
        except KeyError:
            self._latency.add(key)
        self.useful += 1
        if seconds <= good_within:
            try:  # PerSecond.add, likewise
                self.good.values[int(now)] += 1
            except IndexError:
                self.good.add(now)
        else:
            self.late += 1

    def read(self, seconds: list[float]) -> None:
        """Information pages sent and answered at once at these run seconds (a reader's
        visit): what ``offered.add`` and ``answered`` record for each, in one pass."""
        # PerSecond.add and Pending.add spelled out (their rare cases left to them): this
        # runs for most pages of a night
        offered, good = self.offered.values, self.good.values
        latency = self._latency
        counts = latency.counts
        window_seconds = self.window_seconds
        for second in seconds:
            index = int(second)
            try:
                offered[index] += 1
            except IndexError:
                self.offered.add(second)
            try:
                good[index] += 1
            except IndexError:
                self.good.add(second)
            # a page from memory takes no time: recorded as the histograms' 1 ms floor
            key = int(second // window_seconds) * _WINDOW_STRIDE + 1
            try:
                counts[key] += 1
            except KeyError:
                latency.add(key)
        self.useful += len(seconds)

    def record_wait(self, arrived: float, now: float) -> None:
        wait = now - arrived
        self._time_to_get_in.add(millis(wait))
        self.fairness.admitted(arrived, wait)
        self.got_in.add(now)

    def record_completion(self, seconds: float) -> None:
        """A journey finished ``seconds`` after the person arrived."""
        self._completion.add(millis(seconds))

    def record_estimate(self, estimate: float, actual: float) -> None:
        if actual > 0:
            error = abs(estimate - actual) / actual
            self._eta_error.add(max(1, min(10_000_000, round(error * 1000))))
        self.estimates.offer((round(estimate, 1), round(actual, 1)))

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
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

_MILLIS_MAX = 48 * 3600 * 1000


def seconds_histogram() -> HdrHistogram:
    """Durations recorded in milliseconds, up to two days, 2 significant digits."""
    return HdrHistogram(1, _MILLIS_MAX, 2)


def percentile_seconds(histogram: HdrHistogram, percentile: float) -> float | None:
    if histogram.get_total_count() == 0:
        return None
    value: int = histogram.get_value_at_percentile(percentile)
    return round(value / 1000, 3)


class PerSecond:
    """A count per second of the run (the list grows with time, not with people)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list[int] = []

    def add(self, second: float, amount: int = 1) -> None:
        index = int(second)
        values = self.values
        if index >= len(values):
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
    shed_on_admission: int = 0
    useful: int = 0
    late: int = 0  # useful pages that took longer than good_within
    wasted: int = 0  # answers the server computed for a client that had gone
    completion_seconds: HdrHistogram = field(default_factory=seconds_histogram)
    by_journey: dict[str, list[int]] = field(default_factory=dict)  # started, completed

    def status(self, code: str) -> None:
        self.statuses[code] = self.statuses.get(code, 0) + 1

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def answered(self, sent: float, now: float, good_within: float) -> None:
        """A useful page, sent at ``sent`` (run seconds), answered at ``now``."""
        seconds = now - sent
        millis = max(1, min(_MILLIS_MAX, round(seconds * 1000)))
        self.latency.record_value(millis)
        window = int(sent // self.window_seconds)
        histogram = self.latency_windows.get(window)
        if histogram is None:
            histogram = self.latency_windows[window] = seconds_histogram()
        histogram.record_value(millis)
        self.useful += 1
        if seconds <= good_within:
            self.good.add(now)
        else:
            self.late += 1

    def record_wait(self, arrived: float, now: float) -> None:
        wait = now - arrived
        self.time_to_get_in.record_value(max(1, min(_MILLIS_MAX, round(wait * 1000))))
        self.fairness.admitted(arrived, wait)
        self.got_in.add(now)

    def record_estimate(self, estimate: float, actual: float) -> None:
        if actual > 0:
            error = abs(estimate - actual) / actual
            self.eta_error.record_value(max(1, min(10_000_000, round(error * 1000))))
        self.estimates.offer((round(estimate, 1), round(actual, 1)))

"""From every instance's snapshots to the console's figures: rates, p99, the last 30 minutes.

Pure functions of the snapshots and ``now`` (no clock, no I/O), so the tests give them
hand-made snapshots. Rates come from counter differences between two snapshots of the same
instance; an instance that restarted is a new name (host:pid), so counters never go back
except by a reset, which counts as starting from zero.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from northbound.ops.console.snapshot import Snapshot

WINDOW_SECONDS = 60.0
ALIVE_SECONDS = 15.0  # three missed snapshots and an instance counts as gone
CHART_MINUTES = 30
STATUS_CLASSES = ("2xx", "3xx", "4xx", "429", "503", "5xx")


def status_class(status: str) -> str:
    """429 and 503 are the defence's designed answers; any other 5xx is a failure."""
    if status in ("429", "503"):
        return status
    return {"2": "2xx", "3": "3xx", "4": "4xx", "5": "5xx"}.get(status[:1], "5xx")


def _delta(new: float, old: float) -> float:
    return new - old if new >= old else new  # a reset starts again from zero


def _delta_map(new: Mapping[str, float], old: Mapping[str, float]) -> dict[str, float]:
    return {key: _delta(value, old.get(key, 0.0)) for key, value in new.items()}


def quantile(buckets: Mapping[str, float], q: float) -> float | None:
    """The ``q`` quantile of a cumulative histogram, interpolated within its bucket
    (as Prometheus' histogram_quantile does); None when nothing was observed."""
    ordered = sorted((float(le), count) for le, count in buckets.items())
    if not ordered or ordered[-1][1] <= 0:
        return None
    total = ordered[-1][1]
    target = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= target:
            if math.isinf(bound):
                return lower_bound  # beyond the last finite bucket: its bound is all we know
            width = count - lower_count
            share = (target - lower_count) / width if width > 0 else 1.0
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return lower_bound


@dataclass
class Interval:
    """What one instance counted between two of its snapshots."""

    start: float
    end: float
    requests: dict[str, float]
    goodput: float
    buckets: dict[str, float]
    shed: dict[str, float]
    line: float

    @classmethod
    def between(cls, old: Snapshot, new: Snapshot) -> Interval:
        return cls(
            old.at,
            new.at,
            _delta_map(new.requests, old.requests),
            _delta(new.goodput, old.goodput),
            _delta_map(new.latency_buckets, old.latency_buckets),
            _delta_map(new.shed, old.shed),
            new.line,
        )


@dataclass
class InstanceRow:
    name: str
    seconds_since_seen: float
    alive: bool
    breaker: str
    redis: str
    limit: float
    in_flight: float


@dataclass
class ChartPoint:
    minute_end: float
    requests_per_second: float
    goodput_per_second: float
    failures_per_second: float  # 5xx other than the designed 503
    shed_per_second: float
    p99_seconds: float | None
    line: float


@dataclass
class Figures:
    per_second: dict[str, float] = field(default_factory=dict)  # by status class
    goodput_per_second: float = 0.0
    p99_seconds: float | None = None
    limit: float = 0.0
    in_flight: float = 0.0
    shed_per_second: dict[str, float] = field(default_factory=dict)  # by reason
    wait_error_ratio: float | None = None
    instances: list[InstanceRow] = field(default_factory=list)
    chart: list[ChartPoint] = field(default_factory=list)

    @property
    def alive_instances(self) -> int:
        return sum(1 for row in self.instances if row.alive)


def _intervals(series: Iterable[Snapshot]) -> list[Interval]:
    ordered = sorted(series, key=lambda s: s.at)
    return [Interval.between(a, b) for a, b in itertools.pairwise(ordered) if b.at > a.at]


def _window(series: list[Snapshot], now: float) -> Interval | None:
    """One instance's counts over the last minute (its latest snapshot against the oldest
    one inside the window, or the one just before it)."""
    ordered = sorted(series, key=lambda s: s.at)
    latest = ordered[-1]
    if now - latest.at > ALIVE_SECONDS:
        return None
    older = [s for s in ordered[:-1] if s.at >= now - WINDOW_SECONDS] or ordered[:-1][-1:]
    if not older:
        return None
    return Interval.between(older[0], latest)


def compute(series: Mapping[str, list[Snapshot]], now: float) -> Figures:
    figures = Figures()
    requests: dict[str, float] = defaultdict(float)
    shed: dict[str, float] = defaultdict(float)
    buckets: dict[str, float] = defaultdict(float)
    error_sum = error_count = 0.0
    for name, snaps in sorted(series.items()):
        ordered = sorted(snaps, key=lambda s: s.at)
        latest = ordered[-1]
        age = max(0.0, now - latest.at)
        alive = age <= ALIVE_SECONDS
        figures.instances.append(
            InstanceRow(
                name, age, alive, latest.breaker, latest.redis, latest.limit, latest.in_flight
            )
        )
        if alive:
            figures.limit += latest.limit
            figures.in_flight += latest.in_flight
        error_sum += _delta(latest.wait_error_sum, ordered[0].wait_error_sum)
        error_count += _delta(latest.wait_error_count, ordered[0].wait_error_count)
        window = _window(ordered, now)
        if window is None:
            continue
        seconds = window.end - window.start
        for status, count in window.requests.items():
            requests[status_class(status)] += count / seconds
        for reason, count in window.shed.items():
            shed[reason] += count / seconds
        figures.goodput_per_second += window.goodput / seconds
        for le, count in window.buckets.items():
            buckets[le] += count
    figures.per_second = {name: requests.get(name, 0.0) for name in STATUS_CLASSES}
    figures.shed_per_second = dict(sorted(shed.items()))
    figures.p99_seconds = quantile(buckets, 0.99)
    figures.wait_error_ratio = error_sum / error_count if error_count else None
    figures.chart = chart(series, now)
    return figures


def chart(series: Mapping[str, list[Snapshot]], now: float) -> list[ChartPoint]:
    """One point a minute for the last 30 minutes, every instance added up."""
    start = now - CHART_MINUTES * 60
    minutes: list[dict[str, float]] = [defaultdict(float) for _ in range(CHART_MINUTES)]
    minute_buckets: list[dict[str, float]] = [defaultdict(float) for _ in range(CHART_MINUTES)]
    for snaps in series.values():
        for interval in _intervals(snaps):
            slot = math.floor((interval.end - start) / 60)
            if not 0 <= slot < CHART_MINUTES:
                continue
            point = minutes[slot]
            point["requests"] += sum(interval.requests.values())
            point["goodput"] += interval.goodput
            point["failures"] += sum(
                count
                for status, count in interval.requests.items()
                if status_class(status) == "5xx"
            )
            point["shed"] += sum(interval.shed.values())
            point["line"] = max(point["line"], interval.line)
            for le, count in interval.buckets.items():
                minute_buckets[slot][le] += count
    return [
        ChartPoint(
            start + (slot + 1) * 60,
            point["requests"] / 60,
            point["goodput"] / 60,
            point["failures"] / 60,
            point["shed"] / 60,
            quantile(minute_buckets[slot], 0.99),
            point["line"],
        )
        for slot, point in enumerate(minutes)
    ]

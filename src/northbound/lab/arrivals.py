"""When people arrive: a Poisson process whose rate follows the schedule (open loop).

Arrivals never wait for the server: a crowd does not slow down because the site is slow. The
rate changes over time, so the times are drawn by *thinning* (Lewis and Shedler, 1979): draw
candidates from a homogeneous process at the highest rate of the current second,
``gap ~ Exp(rate_max)``, and keep a candidate at time t with probability
``rate(t) / rate_max``. What is kept is exactly an inhomogeneous Poisson process with rate
``rate(t)``. Each kept arrival then picks its journey from the mix in force at that time.
Pure: the clock is the caller's, randomness comes from the given ``random.Random``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from .profiles import Schedule


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # run seconds since the start
    journey: str
    index: int  # 0, 1, 2...: arrival order


def pick(mix: dict[str, float], rng: random.Random) -> str:
    names = list(mix)
    return rng.choices(names, weights=[mix[n] for n in names])[0]


class _Picker:
    """:func:`pick` for a run's arrivals, with each stage's names and cumulative weights
    worked out once rather than for every arrival (a million-person night spent a tenth of
    its time there). ``choices`` with ``cum_weights`` makes the same draw as with the
    weights they add up from."""

    def __init__(self) -> None:
        self._tables: dict[int, tuple[dict[str, float], list[str], list[float]]] = {}

    def __call__(self, mix: dict[str, float], rng: random.Random) -> str:
        table = self._tables.get(id(mix))
        if table is None or table[0] is not mix:
            names = list(mix)
            table = (mix, names, list(itertools.accumulate(mix[n] for n in names)))
            self._tables[id(mix)] = table
        return rng.choices(table[1], cum_weights=table[2])[0]


def _ceiling(schedule: Schedule, start: float, end: float) -> float:
    """An upper bound of the rate on [start, end]: it is linear between stage corners, so the
    largest of the two ends and every stage time inside is the maximum."""
    points = [start, end]
    for stage in schedule.profile.stages:
        t = stage.at_minutes * 60 / schedule.speed
        if start < t < end:
            points.append(t)
    return max(schedule.rate_at(t) for t in points)


def arrivals(schedule: Schedule, rng: random.Random, step: float = 1.0) -> Iterator[Arrival]:
    """Every arrival of the run, in time order."""
    index = 0
    window = 0.0
    journey_of = _Picker()
    while window < schedule.duration:
        end = min(window + step, schedule.duration)
        ceiling = _ceiling(schedule, window, end)
        t = window
        while ceiling > 0:
            t += rng.expovariate(ceiling)
            if t >= end:
                break
            if rng.random() * ceiling <= schedule.rate_at(t):
                yield Arrival(t, journey_of(schedule.mix_at(t), rng), index)
                index += 1
        window = end

"""Arrivals follow the profile: Poisson, at the scheduled rate, with the scheduled mix
(on a virtual clock: the generator's times are computed, nothing sleeps)."""

from __future__ import annotations

import itertools
import random
import statistics
from collections import Counter

import pytest

from northbound.lab import profiles
from northbound.lab.arrivals import _Picker, arrivals, pick

RAMP = profiles.parse(
    "baseline_rps: 10\nstages:\n"
    "- {at: 0, load: 1, mix: {reader: 3, applicant: 1}}\n"
    "- {at: 10, load: 10}\n"
    "- {at: 10.001, load: 2, mix: {status_checker: 1}}\n"
    "- {at: 20, load: 2}\n"
)


def test_counts_follow_the_rate_within_tolerance() -> None:
    schedule = profiles.bind(RAMP, duration=1200, speed=1)  # one profile minute a minute
    times = [a.at for a in arrivals(schedule, random.Random(7))]
    assert times == sorted(times)
    per_minute = Counter(int(t // 60) for t in times)
    for minute in range(20):
        # expected arrivals in the minute: the integral of the rate (linear, so the midpoint)
        expected = schedule.rate_at(minute * 60 + 30) * 60
        # Poisson: the standard deviation is sqrt(expected); 4.5 of them is a 1-in-100,000 miss
        assert abs(per_minute[minute] - expected) <= 4.5 * expected**0.5, minute


def test_gaps_are_exponential_at_a_constant_rate() -> None:
    steady = profiles.parse("stages:\n- {at: 0, load: 1, mix: {reader: 1}}\n- {at: 60, load: 1}")
    schedule = profiles.bind(steady, duration=2000, baseline_rps=5, speed=1.8)
    times = [a.at for a in arrivals(schedule, random.Random(3))]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mean = statistics.fmean(gaps)
    assert mean == pytest.approx(0.2, rel=0.03)
    # exponential: the standard deviation equals the mean (a fixed-interval clock has none)
    assert statistics.stdev(gaps) == pytest.approx(mean, rel=0.05)


def test_journeys_follow_the_mix_of_their_time() -> None:
    schedule = profiles.bind(RAMP, duration=1200, speed=1)
    before = Counter(a.journey for a in arrivals(schedule, random.Random(5)) if a.at < 600)
    after = Counter(a.journey for a in arrivals(schedule, random.Random(5)) if a.at > 601)
    assert before["reader"] / (before["reader"] + before["applicant"]) == pytest.approx(
        0.75, abs=0.03
    )
    assert set(after) == {"status_checker"}


def test_arrival_order_is_numbered_and_reproducible() -> None:
    schedule = profiles.bind(RAMP, duration=60)
    first = list(arrivals(schedule, random.Random(11)))
    assert [a.index for a in first] == list(range(len(first)))
    assert first == list(arrivals(schedule, random.Random(11)))


def test_a_runs_journey_picks_are_the_draws_pick_makes() -> None:
    """arrivals() works each stage's weights out once; the journeys must be those that
    pick() would draw from the same generator, stage after stage."""
    mixes = [{"reader": 55.0, "tool_user": 20.0, "applicant": 10.0}, {"reader": 1.0, "x": 3.0}]
    cached, fresh = random.Random(5), random.Random(5)
    picker = _Picker()
    for i in range(2000):
        mix = mixes[(i // 300) % 2]
        assert picker(mix, cached) == pick(mix, fresh)

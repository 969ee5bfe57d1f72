"""The streaming measures and the step-response figures, on numbers worked by hand."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northbound.lab.sim.events import Simulation
from northbound.lab.sim.measures import Fairness, Pending, Reservoir, seconds_histogram
from northbound.lab.sim.servers import ServiceTime, Station
from northbound.lab.sim.stability import step_response


@given(st.lists(st.floats(min_value=0.1, max_value=1e4), min_size=2, max_size=50))
def test_jain_index_is_between_one_over_n_and_one(waits: list[float]) -> None:
    fairness = Fairness()
    for wait in waits:
        fairness.admitted(30.0, wait)  # all in the same arrival minute
    index = fairness.jain()
    assert index is not None
    half_step = 5e-5  # jain() is rounded to four places: 1/3 reads 0.3333
    assert 1 / len(waits) - half_step <= index <= 1 + half_step


def test_equal_waits_are_perfectly_fair_and_one_taker_is_not() -> None:
    equal, lopsided = Fairness(), Fairness()
    for _ in range(4):
        equal.admitted(5.0, 60.0)
    for wait in (100.0, 0.0, 0.0, 0.0):
        lopsided.admitted(5.0, wait)
    assert equal.jain() == 1.0
    assert lopsided.jain() == 0.25


def test_overtaken_only_by_someone_who_came_more_than_the_grace_later() -> None:
    fairness = Fairness(grace=10.0)
    fairness.admitted(100.0, 5.0)
    assert fairness.overtakes(95.0) is False  # 5 s apart: the same moment, in effect
    assert fairness.overtakes(80.0) is True


@given(st.lists(st.integers(min_value=1, max_value=50_000), max_size=300))
def test_counted_values_make_the_same_histogram_as_values_recorded_one_by_one(
    values: list[int],
) -> None:
    direct, counted = seconds_histogram(), seconds_histogram()
    pending = Pending(counted.record_value)
    for value in values:
        direct.record_value(value)
        pending.add(value)
    pending.flush()
    assert counted.get_total_count() == direct.get_total_count() == len(values)
    for percentile in (1, 50, 90, 99, 100):
        assert counted.get_value_at_percentile(percentile) == direct.get_value_at_percentile(
            percentile
        )


def test_counted_values_are_flushed_before_the_dict_grows_past_its_bound() -> None:
    recorded: list[tuple[int, int]] = []
    pending = Pending(lambda value, count: recorded.append((value, count)))
    for value in range(50_000):
        pending.add(value)
    assert len(pending.counts) < 20_000
    pending.flush()
    assert sorted(recorded) == [(value, 1) for value in range(50_000)]


def test_reservoir_keeps_a_bounded_uniform_sample() -> None:
    reservoir = Reservoir(100, seed=1)
    for item in range(10_000):
        reservoir.offer(item)
    assert len(reservoir.items) == 100 and reservoir.seen == 10_000
    assert 3000 < sum(reservoir.items) / 100 < 7000


def test_step_response_of_a_clean_step_with_an_overshoot() -> None:
    series = [10] * 300 + [0] * 5 + [5] * 400  # dips to 0 once, then settles at 5
    response = step_response(series, 300, 400, smooth=1)
    assert response is not None
    assert response.before == pytest.approx(10) and response.after == pytest.approx(5)
    assert response.reaction_seconds == 0
    assert response.overshoot == pytest.approx(1.0)  # went as far again past the new level
    assert response.oscillation is not None and response.oscillation < 0.01


def test_a_full_backlog_refuses_instead_of_queueing() -> None:
    sim = Simulation()
    station = Station(sim, 1, ServiceTime(1.0, 0.0), random.Random(1), backlog=2)
    done: list[bool] = []
    for _ in range(3):
        assert not station.full
        station.submit(done.append)
    assert station.full and station.queued == 2 and station.busy == 1
    sim.run(10.0)
    assert done == [True, True, True]

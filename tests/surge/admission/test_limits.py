"""Limit algorithms on synthetic sample streams: they converge, back off and recover."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northbound.surge.admission import AIMDLimit, FixedLimit, Gradient2Limit, Sample
from northbound.surge.admission.limit import Limit
from tests.support.clock import FakeClock


def backend_rtt(capacity: int, base: float) -> Callable[[int], float]:
    """A server that runs ``capacity`` requests at once in ``base`` s; the rest queue."""
    return lambda in_flight: base * max(1.0, in_flight / capacity)


def drive(
    limit: Limit,
    clock: FakeClock,
    *,
    samples: int,
    rtt_of: Callable[[int], float],
    spacing: float = 0.01,
    dropped: bool = False,
) -> list[int]:
    """Offer more load than the limit allows (in flight == limit) and record the limit."""
    seen = []
    for _ in range(samples):
        in_flight = limit.limit
        clock.advance(spacing)
        limit.on_sample(Sample(clock.now, rtt_of(in_flight), in_flight, dropped))
        seen.append(limit.limit)
    return seen


def test_fixed_limit_ignores_samples() -> None:
    limit = FixedLimit(7)
    limit.on_sample(Sample(0.0, 100.0, 7, dropped=True))
    assert limit.limit == 7
    with pytest.raises(ValueError):
        FixedLimit(0)


# AIMD ------------------------------------------------------------------------------------------
def test_aimd_grows_while_busy_and_healthy() -> None:
    clock = FakeClock(1000.0)
    limit = AIMDLimit(initial_limit=10, max_limit=50, clock=clock)
    drive(limit, clock, samples=30, rtt_of=lambda _: 0.05)
    assert limit.limit == 40


def test_aimd_does_not_grow_when_idle() -> None:
    clock = FakeClock(1000.0)
    limit = AIMDLimit(initial_limit=10, clock=clock)
    for _ in range(100):
        limit.on_sample(Sample(clock.now, 0.05, in_flight=2))
    assert limit.limit == 10


def test_aimd_backs_off_on_drops_once_per_interval() -> None:
    clock = FakeClock(1000.0)
    limit = AIMDLimit(initial_limit=100, backoff_ratio=0.5, backoff_interval=0.1, clock=clock)
    for _ in range(20):  # a burst of failures landing at the same instant
        limit.on_sample(Sample(clock.now, 0.05, 100, dropped=True))
    assert limit.limit == 50
    clock.advance(0.1)
    limit.on_sample(Sample(clock.now, 5.0, 50))  # slower than the timeout: also trouble
    assert limit.limit == 25


def test_aimd_converges_to_a_sawtooth_around_capacity_and_recovers() -> None:
    clock = FakeClock(1000.0)
    # Past 40 in flight, requests exceed the 1 s timeout.
    limit = AIMDLimit(initial_limit=10, max_limit=500, timeout=1.0, clock=clock)
    seen = drive(limit, clock, samples=3000, rtt_of=backend_rtt(capacity=20, base=0.5))
    tail = seen[-1000:]
    assert min(tail) >= 30 and max(tail) <= 41
    drive(limit, clock, samples=20, rtt_of=lambda _: 0.1, dropped=True, spacing=0.2)
    assert limit.limit == 4
    drive(limit, clock, samples=30, rtt_of=lambda _: 0.1)
    assert limit.limit == 34


# Gradient2 -------------------------------------------------------------------------------------
def gradient2(clock: FakeClock, **kwargs: int) -> Gradient2Limit:
    return Gradient2Limit(
        window_seconds=0.1, min_window_samples=10, warmup_windows=5, clock=clock, **kwargs
    )


def test_gradient2_converges_near_capacity_under_steady_load() -> None:
    clock = FakeClock(1000.0)
    limit = gradient2(clock, initial_limit=20, max_limit=1000)
    seen = drive(limit, clock, samples=20_000, rtt_of=backend_rtt(capacity=50, base=0.05))
    tail = seen[-5000:]
    # Equilibrium: limit * (1 - tolerance * long/short) == queue_size  →  a bit over 1.5 x 50.
    assert min(tail) >= 50 and max(tail) <= 110
    assert statistics.pstdev(tail) < 5


def test_gradient2_backs_off_when_latency_rises_then_recovers() -> None:
    clock = FakeClock(1000.0)
    limit = gradient2(clock, initial_limit=100, max_limit=200)
    drive(limit, clock, samples=200, rtt_of=lambda _: 0.05)  # learn the norm: 50 ms
    before = limit.limit
    drive(limit, clock, samples=300, rtt_of=lambda _: 0.25)  # the backend slows 5x
    slowed = limit.limit
    assert slowed < before / 2
    assert slowed >= limit.min_limit
    drive(limit, clock, samples=2000, rtt_of=lambda _: 0.05)
    assert limit.limit > before


def test_gradient2_holds_still_when_application_limited() -> None:
    clock = FakeClock(1000.0)
    limit = gradient2(clock, initial_limit=50)
    for _ in range(1000):
        clock.advance(0.01)
        limit.on_sample(Sample(clock.now, 0.05, in_flight=5))
    assert limit.limit == 50


def test_gradient2_halves_at_most_per_window_on_drops() -> None:
    clock = FakeClock(1000.0)
    limit = gradient2(clock, initial_limit=100)
    drive(limit, clock, samples=100, rtt_of=lambda _: 0.05)
    start = limit.limit
    drive(limit, clock, samples=10, rtt_of=lambda _: 0.05, dropped=True)
    # target = 0.5 * limit + 4, smoothed by 0.2: one window takes at most 10 % off.
    assert start * 0.9 - 1 <= limit.limit < start


def test_gradient2_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        Gradient2Limit(min_limit=10, max_limit=5)
    with pytest.raises(ValueError):
        Gradient2Limit(tolerance=0.5)


# Properties ------------------------------------------------------------------------------------
sample_streams = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=2.0),  # time step
        st.floats(min_value=0.0, max_value=30.0),  # rtt
        st.integers(min_value=0, max_value=1000),  # in flight
        st.booleans(),  # dropped
    ),
    max_size=400,
)


@settings(max_examples=60)
@given(
    stream=sample_streams,
    bounds=st.tuples(st.integers(1, 50), st.integers(0, 300)),
    kind=st.sampled_from(["aimd", "gradient2"]),
)
def test_limit_stays_within_bounds(
    stream: list[tuple[float, float, int, bool]], bounds: tuple[int, int], kind: str
) -> None:
    low, extra = bounds
    high = low + extra
    clock = FakeClock(1000.0)
    limit: Limit
    if kind == "aimd":
        limit = AIMDLimit(initial_limit=low, min_limit=low, max_limit=high, clock=clock)
    else:
        limit = Gradient2Limit(
            initial_limit=high,
            min_limit=low,
            max_limit=high,
            window_seconds=0.0,
            min_window_samples=1,
            warmup_windows=1,
            clock=clock,
        )
    for step, rtt, in_flight, dropped in stream:
        clock.advance(step)
        limit.on_sample(Sample(clock.now, rtt, in_flight, dropped))
        assert low <= limit.limit <= high

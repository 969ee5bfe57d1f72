"""The circuit breaker's states, on an injected clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import REGISTRY

from northbound.surge.breaker import BreakerState, CircuitBreaker, CircuitOpenError, breaker_metrics
from tests.support.clock import FakeClock


class DatabaseDown(OSError):
    pass


async def fails() -> None:
    raise DatabaseDown("connection refused")


async def works(value: int = 1) -> int:
    return value


def breaker(
    clock: FakeClock, failure_threshold: int = 3, reset_timeout: float = 5.0, **kwargs: Any
) -> CircuitBreaker:
    return CircuitBreaker(
        "test-db",
        clock=clock,
        failure_threshold=failure_threshold,
        reset_timeout=reset_timeout,
        **kwargs,
    )


def state(b: CircuitBreaker) -> BreakerState:
    """Read afresh: a call in between changes it, which mypy's narrowing cannot see."""
    return b.state


async def trip(b: CircuitBreaker) -> None:
    for _ in range(b.failure_threshold):
        with pytest.raises(DatabaseDown):
            await b.call(fails)


async def test_opens_after_consecutive_failures_and_fails_fast() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock)
    with pytest.raises(DatabaseDown):
        await b.call(fails)
    assert await b.call(works, 7) == 7  # a success resets the count
    await trip(b)
    assert state(b) is BreakerState.OPEN
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(CircuitOpenError) as refused:
        await b.call(counted)
    assert calls == 0 and refused.value.retry_after == pytest.approx(5.0)
    clock.now += 2.0
    assert b.retry_after == pytest.approx(3.0)


async def test_half_open_probe_success_closes() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock)
    await trip(b)
    clock.now += 5.0
    assert state(b) is BreakerState.HALF_OPEN
    assert await b.call(works) == 1
    assert state(b) is BreakerState.CLOSED


async def test_half_open_probe_failure_reopens_for_a_full_timeout() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock)
    await trip(b)
    clock.now += 5.0
    with pytest.raises(DatabaseDown):
        await b.call(fails)
    assert state(b) is BreakerState.OPEN
    clock.now += 4.9
    assert state(b) is BreakerState.OPEN
    clock.now += 0.1
    assert state(b) is BreakerState.HALF_OPEN


async def test_half_open_lets_only_the_allowed_probes_through() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock, half_open_max_calls=1)
    await trip(b)
    clock.now += 5.0
    release = asyncio.Event()

    async def slow_probe() -> int:
        await release.wait()
        return 2

    probe = asyncio.create_task(b.call(slow_probe))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpenError):
        await b.call(works)
    release.set()
    assert await probe == 2
    assert state(b) is BreakerState.CLOSED


async def test_cancelled_probe_frees_its_slot() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock)
    await trip(b)
    clock.now += 5.0
    probe = asyncio.create_task(b.call(asyncio.Event().wait))
    await asyncio.sleep(0)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert state(b) is BreakerState.HALF_OPEN
    assert await b.call(works) == 1


async def test_slow_calls_count_as_failures() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock, slow_call_seconds=1.0)

    async def slow() -> int:
        clock.now += 2.0
        return 3

    for _ in range(3):
        assert await b.call(slow) == 3
    assert state(b) is BreakerState.OPEN


async def test_only_failure_types_count() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock, failure_types=(OSError,))

    async def bad_input() -> None:
        raise ValueError("not a date")

    for _ in range(10):
        with pytest.raises(ValueError):
            await b.call(bad_input)
    assert state(b) is BreakerState.CLOSED
    await trip(b)
    assert state(b) is BreakerState.OPEN


async def test_guard_block_and_state_metric() -> None:
    clock = FakeClock(10.0)
    b = breaker(clock, metrics=breaker_metrics("test"))  # the site hands in "northbound"
    for _ in range(3):
        with pytest.raises(DatabaseDown):
            async with b.guard():
                raise DatabaseDown("gone")
    value = REGISTRY.get_sample_value("test_surge_breaker_state", {"name": "test-db"})
    assert value == 2
    with pytest.raises(CircuitOpenError):
        async with b.guard():
            pass


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)

"""Shedding on the hidden queues (event-loop lag, kernel accept queue) in proportion to the excess.

The old veto refused every sheddable request while the accept queue held more than a fixed count
of connections: under a flood faster than the server can refuse, the count never fell and
goodput went to zero. These tests pin the replacement: a wait in seconds, estimated from depth
and drain rate, and refusals drawn in proportion to how far past its threshold the wait is.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from northbound.settings import Settings
from northbound.surge.admission import FixedLimit, Limiter, Permit, Priority, ShedReason
from northbound.surge.admission.accept_queue import AcceptQueueMonitor
from northbound.surge.admission.config import AdmissionSettings
from tests.support.clock import FakeClock

SHEDDABLE, NORMAL = Priority.SHEDDABLE, Priority.NORMAL


class FakeBacklog:
    def __init__(self, wait: float = 0.0) -> None:
        self.wait = wait

    def arrived(self) -> None:
        pass


class FakeLag:
    def __init__(self, lag: float = 0.0) -> None:
        self.lag = lag


def draws(*values: float) -> Callable[[], float]:
    cycle = itertools.cycle(values)
    return lambda: next(cycle)


TENTHS = draws(0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)


async def outcomes(lim: Limiter, count: int) -> list[Permit | ShedReason]:
    results = []
    for _ in range(count):
        outcome = await lim.acquire(SHEDDABLE)
        if isinstance(outcome, Permit):
            outcome.release(sample=False)
        results.append(outcome)
    return results


def behind_a_backlog(backlog: FakeBacklog) -> Limiter:
    """Room for ten, a 0.25 s accept-wait threshold, and draws of 0.0, 0.1, ... 0.9 in turn."""
    return Limiter(
        FixedLimit(10), backlog_signal=backlog, backlog_max_wait=0.25, clock=FakeClock(100.0),
        random=TENTHS,
    )  # fmt: skip


async def test_accept_wait_sheds_in_proportion_to_the_excess() -> None:
    backlog = FakeBacklog(0.3)  # 20 % past a 0.25 s threshold
    lim = behind_a_backlog(backlog)
    results = await outcomes(lim, 100)
    assert results.count(ShedReason.BACKLOG) == 20
    assert sum(isinstance(r, Permit) for r in results) == 80
    assert lim.saturated  # behind, whatever the draws say


async def test_within_the_threshold_nothing_is_shed_and_at_twice_everything() -> None:
    backlog = FakeBacklog(0.25)
    lim = behind_a_backlog(backlog)
    assert all(isinstance(r, Permit) for r in await outcomes(lim, 20))
    assert not lim.saturated
    backlog.wait = 0.5
    assert set(await outcomes(lim, 20)) == {ShedReason.BACKLOG}


async def test_loop_lag_sheds_in_proportion_too() -> None:
    lag = FakeLag(0.15)  # 50 % past a 0.1 s threshold
    lim = Limiter(
        FixedLimit(10), lag_signal=lag, lag_threshold=0.1, clock=FakeClock(100.0), random=TENTHS
    )
    results = await outcomes(lim, 100)
    assert results.count(ShedReason.LOOP_LAG) == 50


async def test_a_normal_request_with_room_is_admitted_even_when_behind() -> None:
    lim = Limiter(
        FixedLimit(10),
        backlog_signal=FakeBacklog(5.0),
        backlog_max_wait=0.25,
        clock=FakeClock(100.0),
        random=TENTHS,
    )
    assert isinstance(await lim.acquire(NORMAL), Permit)


def test_monitor_wait_is_depth_over_drain_rate() -> None:
    clock = FakeClock(100.0)
    depth = [0]
    monitor = AcceptQueueMonitor(
        refresh=0.01, rate_seconds=0.5, quiet_depth=8, read_depth=lambda: depth[0], clock=clock
    )
    for _ in range(100):  # 10 s at 1,000 requests per second, read every 0.1 s
        for _ in range(100):
            monitor.arrived()
        clock.now += 0.1
        assert monitor.wait == 0.0
    assert monitor.drain_rate == pytest.approx(1000.0, rel=1e-3)
    depth[0] = 500
    clock.now += 0.01
    for _ in range(10):  # still 1,000 per second
        monitor.arrived()
    assert monitor.wait == pytest.approx(0.5, rel=1e-3)  # 500 connections at 1,000/s
    depth[0] = 8
    clock.now += 0.01
    for _ in range(10):
        monitor.arrived()
    assert monitor.wait == 0.0  # a loop turn's worth is not a queue


def test_monitor_wait_grows_when_nothing_drains() -> None:
    clock = FakeClock(100.0)
    monitor = AcceptQueueMonitor(rate_seconds=0.5, read_depth=lambda: 200, clock=clock)
    for _ in range(10):
        for _ in range(100):
            monitor.arrived()
        clock.now += 0.1
        monitor.depth  # noqa: B018 - a reading folds the arrivals into the rate
    before = monitor.wait
    clock.now += 1.0  # a second without a single request reaching the app
    assert monitor.wait > 5 * before
    assert monitor.wait == pytest.approx(200 / monitor.drain_rate)


def test_monitor_caches_between_readings() -> None:
    clock = FakeClock(100.0)
    depth = [100]
    monitor = AcceptQueueMonitor(refresh=0.01, read_depth=lambda: depth[0], clock=clock)
    assert monitor.depth == 100
    depth[0] = 5
    assert monitor.depth == 100
    clock.now += 0.01
    assert monitor.depth == 5


def test_settings_build_the_wait_signal_and_can_turn_it_off() -> None:
    backlog = FakeBacklog()
    on = AdmissionSettings(accept_queue_max_wait_seconds=0.4).build_limiter(backlog_signal=backlog)
    assert on.hidden.backlog_signal is backlog and on.hidden.backlog_max_wait == 0.4
    off = AdmissionSettings(accept_queue_max_wait_seconds=0).build_limiter(backlog_signal=backlog)
    assert off.hidden.backlog_signal is None


def test_listen_backlog_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().listen_backlog == 1024
    monkeypatch.setenv("NORTHBOUND_LISTEN_BACKLOG", "256")
    assert Settings().listen_backlog == 256


def test_monitor_does_not_read_the_first_burst_after_idle_as_a_long_wait() -> None:
    clock = FakeClock(100.0)
    depth = [0]
    monitor = AcceptQueueMonitor(rate_seconds=0.5, read_depth=lambda: depth[0], clock=clock)
    for _ in range(10):  # steady traffic, empty queue
        for _ in range(100):
            monitor.arrived()
        clock.now += 0.1
        monitor.depth  # noqa: B018
    clock.now += 600  # ten quiet minutes
    depth[0] = 40  # a burst arrives at once
    assert monitor.wait == 0.0  # no rate measured since the quiet spell: no verdict yet
    for _ in range(6):  # half a second of draining later the signal speaks again
        for _ in range(20):
            monitor.arrived()
        clock.now += 0.1
        monitor.depth  # noqa: B018
    assert monitor.wait == pytest.approx(40 / monitor.drain_rate)
    assert monitor.wait > 0

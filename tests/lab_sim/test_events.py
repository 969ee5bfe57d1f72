"""The event loop and the asyncio bridge: order, determinism, and the limiter's real queue
on the virtual clock."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from northbound.lab.sim.aio import VirtualLoop, run_now, running, spawn
from northbound.lab.sim.events import Simulation
from northbound.surge.admission import FixedLimit, Limiter, Permit, Priority, ShedReason


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=200))
def test_actions_run_in_time_order_ties_in_scheduling_order(times: list[float]) -> None:
    sim = Simulation()
    ran: list[tuple[float, int]] = []
    for index, when in enumerate(times):
        sim.at(when, lambda w=when, i=index: ran.append((w, i)))
    sim.run(2e6)
    assert ran == sorted(ran)
    assert len(ran) == len(times)


def test_cancelled_actions_do_not_run_and_the_clock_ends_at_until() -> None:
    sim = Simulation(100.0)
    ran: list[str] = []
    sim.after(5, ran.append, "kept")
    sim.timer(103, ran.append, "dropped").cancel()
    sim.run(200.0)
    assert ran == ["kept"]
    assert sim.now == 200.0


def test_run_now_returns_the_result_of_a_coroutine_that_never_waits() -> None:
    async def add(a: int, b: int) -> int:
        return a + b

    assert run_now(add(2, 3)) == 5


def test_a_request_queued_in_the_real_limiter_starts_when_a_slot_frees_in_virtual_time() -> None:
    sim = Simulation(1000.0)
    limiter = Limiter(FixedLimit(1), clock=sim.clock)
    outcomes: list[tuple[float, object]] = []
    with running(VirtualLoop(sim)):
        first = run_now(limiter.acquire(Priority.CRITICAL))
        assert isinstance(first, Permit)
        spawn(
            limiter.acquire(Priority.CRITICAL),
            lambda result, error: outcomes.append((sim.now, result)),
        )
        assert outcomes == []  # waiting in the limiter's queue
        sim.at(1000.5, first.release)
        sim.run(1010.0)
    assert len(outcomes) == 1
    assert outcomes[0][0] == 1000.5
    assert isinstance(outcomes[0][1], Permit)


def test_the_limiters_queue_timeout_fires_on_the_virtual_clock() -> None:
    sim = Simulation(0.0)
    limiter = Limiter(FixedLimit(1), clock=sim.clock)
    outcomes: list[tuple[float, object]] = []
    with running(VirtualLoop(sim)):
        held = run_now(limiter.acquire(Priority.CRITICAL))
        assert isinstance(held, Permit)
        spawn(limiter.acquire(Priority.NORMAL), lambda r, e: outcomes.append((sim.now, r)))
        sim.run(60.0)
    assert outcomes == [(1.0, ShedReason.TIMEOUT)]  # the normal queue timeout, 1 s
    assert limiter.shed_total == 1
    assert asyncio.events._get_running_loop() is None

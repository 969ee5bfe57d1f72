"""The event loop and the asyncio bridge: order, determinism, and the limiter's real queue
on the virtual clock."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from northbound.lab.sim.aio import VirtualLoop, run_now, running, spawn
from northbound.lab.sim.deadlines import Deadlines
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


class Request:
    """A waiter whose answer comes (``answered``) or not."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.seq = 0
        self.timeouts: list[tuple[float, int]] = []

    def still_waiting(self, seq: int) -> bool:
        return seq == self.seq

    def timed_out(self, seq: int) -> None:
        self.timeouts.append((self.sim.now, seq))

    def send(self, deadlines: Deadlines, seconds: float) -> int:
        self.seq += 1
        deadlines.start(seconds, self, self.seq)
        return self.seq

    def answered(self) -> None:
        self.seq += 1


def test_a_limit_runs_at_its_time_only_for_a_request_still_unanswered() -> None:
    sim = Simulation(10.0)
    deadlines = Deadlines(sim)
    slow, quick = Request(sim), Request(sim)
    slow_seq = slow.send(deadlines, 30.0)
    for step in range(100):  # a hundred answered requests meanwhile
        sim.at(10.0 + step / 10, quick.send, deadlines, 30.0)
        sim.at(10.05 + step / 10, quick.answered)
    late = Request(sim)
    sim.at(12.5, late.send, deadlines, 8.0)  # another length of limit, its own line
    sim.run(100.0)
    assert slow.timeouts == [(40.0, slow_seq)]
    assert quick.timeouts == []
    assert late.timeouts == [(20.5, 1)]


def test_answered_limits_never_reach_the_heap() -> None:
    sim = Simulation()
    deadlines = Deadlines(sim)
    request = Request(sim)
    for _ in range(1000):
        request.send(deadlines, 30.0)
        request.answered()
    assert sim.pending == 1  # one event for the line, not one per request
    sim.run(31.0)
    assert sim.pending == 0 and request.timeouts == []

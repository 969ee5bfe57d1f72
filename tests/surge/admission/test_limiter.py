"""The priority limiter: shares, its queue (CoDel, displacement, timeouts), the loop-lag veto,
what it tells the waiting room."""

from __future__ import annotations

import asyncio

import pytest

from northbound.surge.admission import (
    AdmissionSettings,
    AIMDLimit,
    FixedLimit,
    Limiter,
    Permit,
    Priority,
    ShedReason,
)
from northbound.surge.admission.aside import CURRENT_PERMIT, committed_request
from northbound.surge.capacity import CapacitySignal
from tests.support.admission import limiter, take
from tests.support.clock import FakeClock

CRITICAL, NORMAL, SHEDDABLE = Priority.CRITICAL, Priority.NORMAL, Priority.SHEDDABLE


class FakeLag:
    def __init__(self, lag: float = 0.0) -> None:
        self.lag = lag


# Limiter ---------------------------------------------------------------------------------------
def test_each_priority_fills_only_its_share() -> None:
    lim = limiter(10)
    take(lim, SHEDDABLE, 7)
    assert lim.try_acquire(SHEDDABLE) is None
    take(lim, NORMAL, 2)
    assert lim.try_acquire(NORMAL) is None
    take(lim, CRITICAL, 1)
    assert lim.try_acquire(CRITICAL) is None
    assert lim.in_flight == 10


def test_limiter_is_a_capacity_signal() -> None:
    clock = FakeClock(50.0)
    lim = limiter(4, clock=clock, max_queue=0)
    signal: CapacitySignal = lim
    assert (signal.limit, signal.in_flight, signal.saturated) == (4, 0, False)
    take(lim, CRITICAL, 4)
    assert signal.in_flight == 4 and not signal.saturated
    assert asyncio.run(lim.acquire(NORMAL)) is ShedReason.QUEUE_FULL
    assert signal.saturated
    clock.now += lim.saturation_hold + 0.01
    assert not signal.saturated


def test_the_requests_of_people_the_room_let_in_are_counted_apart_while_they_hold_a_slot() -> None:
    """``holders_*``: a permit admitted as a holder's adds to their in-flight and busy time
    while it holds its slot, not while it stands aside (waiting for a password hash: the
    slot is given back) nor after its release; everyone's figures count it as before."""
    clock = FakeClock(50.0)
    lim = limiter(4, clock=clock, max_queue=0)
    holder = lim.decide(NORMAL, holder=True)
    assert isinstance(holder, Permit) and holder.holder
    (other,) = take(lim, NORMAL, 1)
    assert (lim.in_flight, lim.holders_in_flight) == (2, 1)
    clock.now += 2.0
    holder.step_aside()
    clock.now += 5.0  # aside: neither counts it
    holder.step_back()
    clock.now += 1.0
    holder.release()
    other.release()
    clock.now += 1.0
    assert lim.holders_busy_seconds == pytest.approx(2.0 + 1.0)
    assert lim.busy_seconds == pytest.approx(2 * 2.0 + 5.0 + 2 * 1.0)
    assert (lim.in_flight, lim.holders_in_flight) == (0, 0)
    take(lim, NORMAL, 4)  # full, and no queue: the next are shed
    assert isinstance(lim.decide(NORMAL, holder=True), ShedReason)
    assert isinstance(lim.decide(NORMAL), ShedReason)
    assert (lim.holders_shed_total, lim.shed_total) == (1, 2)  # among all, and apart


async def test_waiters_are_served_by_priority_when_slots_free() -> None:
    lim = limiter(10)
    held = take(lim, CRITICAL, 10)
    order: list[Priority] = []

    async def wait(priority: Priority) -> None:
        outcome = await lim.acquire(priority)
        assert isinstance(outcome, Permit)
        order.append(priority)

    tasks = [asyncio.create_task(wait(p)) for p in (SHEDDABLE, NORMAL, CRITICAL, NORMAL)]
    await asyncio.sleep(0)
    assert lim.waiting == 4
    for permit in held[:4]:
        permit.release()
    await asyncio.sleep(0)
    # Critical fills the 10th slot, the normals the 8th and 9th; sheddable needs fewer than 7.
    assert order == [CRITICAL, NORMAL, NORMAL]
    assert lim.in_flight == 9
    for permit in held[4:6]:
        permit.release()
    await asyncio.sleep(0)
    assert len(order) == 3
    held[6].release()
    await asyncio.gather(*tasks)
    assert order[-1] is SHEDDABLE
    assert lim.in_flight == 7


async def test_a_newcomer_never_overtakes_a_waiter_of_its_priority() -> None:
    lim = limiter(2)
    held = take(lim, CRITICAL, 2)
    waiting = asyncio.create_task(lim.acquire(CRITICAL))
    await asyncio.sleep(0)
    held[0].release()  # the slot goes straight to the waiter
    assert lim.try_acquire(CRITICAL) is None
    assert isinstance(await waiting, Permit)


async def test_queue_full_sheds_and_higher_priority_displaces_lower() -> None:
    lim = limiter(1, max_queue=1)
    take(lim, CRITICAL, 1)
    sheddable = asyncio.create_task(lim.acquire(SHEDDABLE))
    await asyncio.sleep(0)
    assert await lim.acquire(SHEDDABLE) is ShedReason.QUEUE_FULL
    critical = asyncio.create_task(lim.acquire(CRITICAL))
    assert await sheddable is ShedReason.DISPLACED
    await asyncio.sleep(0)
    assert lim.waiting == 1
    critical.cancel()
    with pytest.raises(asyncio.CancelledError):
        await critical
    assert lim.waiting == 0


async def test_a_request_that_cannot_start_in_time_is_shed() -> None:
    timeouts = {CRITICAL: 0.02, NORMAL: 0.01, SHEDDABLE: 0.005}
    lim = limiter(1, queue_timeouts=timeouts)
    take(lim, CRITICAL, 1)
    assert await lim.acquire(NORMAL) is ShedReason.TIMEOUT
    assert lim.waiting == 0 and lim.in_flight == 1


async def test_standing_queue_switches_to_short_timeout_and_newest_first() -> None:
    clock = FakeClock(50.0)
    long_wait = {CRITICAL: 30.0, NORMAL: 30.0, SHEDDABLE: 30.0}
    lim = limiter(1, clock=clock, queue_timeouts=long_wait, codel_interval=0.1, codel_target=5.0)
    held = take(lim, CRITICAL, 1)
    first = asyncio.create_task(lim.acquire(NORMAL))
    await asyncio.sleep(0)
    clock.now += 0.2  # the queue has not been empty for 200 ms: it is standing
    second = asyncio.create_task(lim.acquire(NORMAL))
    await asyncio.sleep(0)
    held[0].release()
    granted = await second  # adaptive LIFO: the newest waiter gets the slot
    assert isinstance(granted, Permit)
    assert not first.done()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert lim.waiting == 0


async def test_a_standing_queue_still_serves_what_can_start_in_time() -> None:
    """Regression (the lab's election-night run at about capacity): a standing queue gave
    every newcomer CoDel's 10 ms to start, so people inside the site got 503s by the thousand
    for waits the server would have cleared in a few hundred milliseconds. The default target
    is half a second now, and a priority with a shorter timeout of its own keeps it."""
    clock = FakeClock(50.0)
    timeouts = {CRITICAL: 2.0, NORMAL: 1.0, SHEDDABLE: 0.02}
    lim = limiter(1, clock=clock, queue_timeouts=timeouts, codel_interval=0.1)
    held = take(lim, CRITICAL, 1)
    first = asyncio.create_task(lim.acquire(NORMAL))
    await asyncio.sleep(0)
    clock.now += 0.2  # the queue has not been empty for 200 ms: it is standing
    second = asyncio.create_task(lim.acquire(NORMAL))
    sheddable = asyncio.create_task(lim.acquire(SHEDDABLE))
    assert await sheddable is ShedReason.TIMEOUT  # 0.02 s, shorter than the standing target
    await asyncio.sleep(0.1)  # ten times CoDel's classic target
    assert not second.done() and not first.done()
    held[0].release()
    assert isinstance(await second, Permit)  # newest first while the queue stands
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_loop_lag_vetoes_sheddable_only() -> None:
    lag = FakeLag(0.5)
    lim = limiter(2, lag_signal=lag, lag_threshold=0.1)
    assert await lim.acquire(SHEDDABLE) is ShedReason.LOOP_LAG
    held = take(lim, NORMAL, 2)
    normal = asyncio.create_task(lim.acquire(NORMAL))  # someone inside: waits its turn
    critical = asyncio.create_task(lim.acquire(CRITICAL))
    await asyncio.sleep(0)
    assert lim.waiting == 2 and lim.saturated
    held[0].release()
    first = await critical
    assert isinstance(first, Permit)  # critical first
    held[1].release()
    second = await normal
    assert isinstance(second, Permit)
    lag.lag = 0.0
    first.release()
    second.release()
    assert isinstance(await lim.acquire(SHEDDABLE), Permit)


async def test_cancelled_waiter_leaves_no_trace_even_if_granted() -> None:
    lim = limiter(1)
    held = take(lim, CRITICAL, 1)
    waiter = asyncio.create_task(lim.acquire(CRITICAL))
    await asyncio.sleep(0)
    held[0].release()  # granted, but the task has not resumed yet
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert lim.in_flight == 0 and lim.waiting == 0


async def test_decide_answers_without_waiting_and_wait_queues_what_it_could_not() -> None:
    lim = limiter(1, max_queue=1)
    first = lim.decide(CRITICAL)
    assert isinstance(first, Permit)
    assert lim.decide(CRITICAL) is None  # no room: it would queue, and nothing is queued yet
    assert lim.waiting == 0
    waiting = asyncio.create_task(lim.wait(CRITICAL))
    await asyncio.sleep(0)
    assert lim.waiting == 1
    assert lim.decide(NORMAL) is ShedReason.QUEUE_FULL  # full, and nobody lower to displace
    first.release()
    assert isinstance(await waiting, Permit)


def test_a_limiter_exports_only_where_it_is_told() -> None:
    """Figures are process-wide: a limiter without ``metrics`` (the simulator's instances)
    leaves them alone; one given a namespace's figures keeps them current."""
    from northbound.surge.admission.metrics import admission_metrics

    figures = admission_metrics("test")
    before = figures.in_flight._value.get()
    silent = limiter(4)
    permits = take(silent, CRITICAL, 3)
    assert silent._figures is None and figures.in_flight._value.get() == before
    told = limiter(4, metrics=figures)
    more = take(told, CRITICAL, 2)  # no event loop here: the batch goes over at once
    assert figures.in_flight._value.get() == 2
    for permit in [*permits, *more]:
        permit.release()


async def test_only_the_request_that_ends_a_wait_is_committed_for_what_it_waits_on() -> None:
    """A permit from ``admit_committed`` says so, and ``committed_request`` reads it in the
    request's task: a separately bounded resource must not refuse that request either."""
    lim = limiter(1)
    (held,) = take(lim, CRITICAL, 1)  # full
    assert not committed_request()  # outside admission control
    committed = lim.admit_committed(holder=True)
    assert committed.committed and lim.in_flight == 2  # over the limit, as always
    token = CURRENT_PERMIT.set(committed)
    try:
        assert committed_request()
    finally:
        CURRENT_PERMIT.reset(token)
    committed.release()
    held.release()
    permit = await lim.acquire(NORMAL)
    assert isinstance(permit, Permit) and not permit.committed
    token = CURRENT_PERMIT.set(permit)
    try:
        assert not committed_request()
    finally:
        CURRENT_PERMIT.reset(token)


def test_finished_requests_feed_the_limit() -> None:
    clock = FakeClock(50.0)
    lim = Limiter(AIMDLimit(initial_limit=4, clock=clock), clock=clock)
    for _ in range(3):
        permits = take(lim, CRITICAL, lim.limit)
        for permit in permits:
            clock.now += 0.01
            permit.release()
            permit.release()  # a second release is harmless
    assert lim.limit > 4 and lim.in_flight == 0


def test_shares_must_fall_with_priority() -> None:
    with pytest.raises(ValueError):
        Limiter(FixedLimit(5), shares={CRITICAL: 0.5, NORMAL: 0.9, SHEDDABLE: 0.1})


def test_settings_build_each_algorithm() -> None:
    for algorithm in ("gradient2", "aimd", "fixed"):
        settings = AdmissionSettings(algorithm=algorithm, initial_limit=30)
        assert settings.build_limiter().limit == 30
    with pytest.raises(ValueError):
        AdmissionSettings(sheddable_share=0.95, normal_share=0.9)


# Classifier ------------------------------------------------------------------------------------

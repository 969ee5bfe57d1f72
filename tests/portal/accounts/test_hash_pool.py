"""The password-hashing pool: bounded, paced, sign-ins first."""

from __future__ import annotations

import asyncio
import threading

import pytest

from northbound.portal.accounts.hash_pool import HashingBusy, HashPool, HashPriority


class Gate:
    """A job that blocks its worker thread until the test opens the gate; ``order`` lists the
    jobs started by :meth:`start` as they finish."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.order: list[str] = []

    def job(self, value: str) -> str:
        self.event.wait(5)
        return value

    async def start(self, pool: HashPool, priority: HashPriority, name: str) -> asyncio.Task[None]:
        """A hash named ``name`` sent to ``pool``, let run until it starts or queues."""

        async def run() -> None:
            self.order.append(await pool.run(priority, lambda: self.job(name)))

        task = asyncio.create_task(run())
        await _settle()
        return task


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_one_worker_runs_one_hash_and_sign_ins_go_first() -> None:
    gate = Gate()
    pool = HashPool(workers=1, max_queue=8, max_wait=5)
    first = await gate.start(pool, HashPriority.HASH, "first")
    signup = await gate.start(pool, HashPriority.HASH, "sign-up")
    signin = await gate.start(pool, HashPriority.VERIFY, "sign-in")
    assert pool.waiting == 2
    gate.event.set()
    await asyncio.gather(first, signup, signin)
    assert gate.order == ["first", "sign-in", "sign-up"]
    pool.close()


async def test_a_full_queue_and_a_long_wait_are_refused_quickly() -> None:
    gate = Gate()
    pool = HashPool(workers=1, max_queue=1, max_wait=0.2)
    busy = asyncio.create_task(pool.run(HashPriority.HASH, lambda: gate.job("x")))
    await _settle()
    waiting = asyncio.create_task(pool.run(HashPriority.HASH, lambda: "y"))
    await _settle()
    with pytest.raises(HashingBusy):  # queue full: at once
        await pool.run(HashPriority.VERIFY, lambda: "z")
    with pytest.raises(HashingBusy):  # waited its max_wait
        await waiting
    assert pool.waiting == 0
    gate.event.set()
    assert await busy == "x"
    assert await pool.run(HashPriority.HASH, lambda: "again") == "again"  # worker came back
    pool.close()


async def test_a_paced_worker_rests_in_proportion_to_its_hash() -> None:
    """share 0.25: after a hash of 0.1 s of worker time the worker rests 0.3 s."""
    ticks = iter([10.0, 10.1, 20.0, 20.1])
    rests: list[float] = []

    async def sleep(seconds: float) -> None:
        rests.append(seconds)

    pool = HashPool(workers=1, share=0.25, clock=lambda: next(ticks), sleep=sleep)
    assert await pool.run(HashPriority.HASH, lambda: 1) == 1
    await _settle()
    assert rests == [pytest.approx(0.3)]
    assert await pool.run(HashPriority.HASH, lambda: 2) == 2
    pool.close()


async def test_a_wait_that_would_be_too_long_is_refused_at_once() -> None:
    """Hashes take 1 s of a worker here: with a 2 s limit, two may wait, a third is told to
    come back straight away instead of holding its slot for 2 s and being refused then."""
    now = [0.0]
    gate = Gate()

    def job() -> str:
        gate.event.wait(5)
        now[0] += 1.0  # the hash took a second of the worker
        return "done"

    pool = HashPool(workers=1, max_queue=64, max_wait=2.0, clock=lambda: now[0])
    gate.event.set()
    assert await pool.run(HashPriority.HASH, job) == "done"
    await _settle()
    assert pool.cycle == pytest.approx(1.0)
    gate.event.clear()
    running = asyncio.create_task(pool.run(HashPriority.HASH, job))
    await _settle()
    queued = [asyncio.create_task(pool.run(HashPriority.HASH, job)) for _ in range(2)]
    await _settle()
    assert pool.waiting == 2
    with pytest.raises(HashingBusy):
        await pool.run(HashPriority.VERIFY, job)
    gate.event.set()
    assert await asyncio.gather(running, *queued) == ["done"] * 3
    pool.close()


async def test_a_committed_request_is_never_refused_but_waits_its_turn() -> None:
    """The request that ends a wait in the waiting room (the site says so through
    ``committed``) queues past the pool's bound and past ``max_wait``, and gets its hash."""
    gate = Gate()
    committed = [False]
    pool = HashPool(workers=1, max_queue=1, max_wait=0.25, committed=lambda: committed[0])
    busy = asyncio.create_task(pool.run(HashPriority.HASH, lambda: gate.job("x")))
    await _settle()
    waiting = asyncio.create_task(pool.run(HashPriority.HASH, lambda: "y"))
    await _settle()
    with pytest.raises(HashingBusy):  # the queue is full: anyone else is refused at once
        await pool.run(HashPriority.VERIFY, lambda: "z")
    committed[0] = True
    let_in = asyncio.create_task(pool.run(HashPriority.VERIFY, lambda: "let in"))
    await asyncio.sleep(0.5)  # twice max_wait (a committed request waits up to four times)
    assert not let_in.done() and pool.waiting == 1  # still queued; the other one timed out
    with pytest.raises(HashingBusy):
        await waiting
    gate.event.set()
    assert await let_in == "let in" and await busy == "x"
    pool.close()


async def test_a_committed_request_goes_before_those_already_waiting() -> None:
    gate = Gate()
    committed = [False]
    pool = HashPool(workers=1, max_queue=8, max_wait=5, committed=lambda: committed[0])
    first = await gate.start(pool, HashPriority.HASH, "first")
    signin = await gate.start(pool, HashPriority.VERIFY, "sign-in")
    committed[0] = True
    let_in = await gate.start(pool, HashPriority.HASH, "let in")  # a sign-up, let in
    committed[0] = False
    gate.event.set()
    await asyncio.gather(first, signin, let_in)
    assert gate.order == ["first", "let in", "sign-in"]
    pool.close()

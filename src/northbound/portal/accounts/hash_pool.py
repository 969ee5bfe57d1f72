"""A bounded, paced pool for password hashing, the one CPU-heavy job of the portal.

Why it exists: argon2id is meant to be expensive, and it runs in worker threads, where the
event loop's own signals (latency of the loop, the accept queue) cannot see it. In a crowd test
sign-ups and sign-ins were one request in ten and took more CPU than the other nine: the
process ran at 70-99 % while the loop looked a quarter busy, and everyone's page slowed for a
reason admission control could not measure. So hashing gets a budget of its own:

* **Bounded**: at most ``workers`` hashes run at once, and at most ``max_queue`` wait; a
  hash that cannot start within ``max_wait`` seconds is refused with :class:`HashingBusy`
  (the person sees "try again in a few seconds" with their form handed back, rather than a
  page that never comes). A newcomer whose wait would be too long is refused at once rather
  than after ``max_wait``: the expected wait is the queue ahead times the measured time a
  worker takes per hash (its rest included), over the workers::

      expected_wait = (waiting + 1) * cycle / workers     refused when > max_wait
* **Paced**: after a hash that took ``c`` seconds of a worker, that worker rests
  ``c * (1 - share) / share`` seconds, so hashing uses at most ``share`` of ``workers`` cores
  however many people sign in, and the rest of the CPU stays with the pages.
* **Out of the way while waiting**: a request queued here holds nothing anyone else needs,
  so it waits inside ``step_aside()`` (an async context manager the site supplies; the surge
  layer's gives the request's admission-control slot back meanwhile, see
  ``northbound.surge.admission.aside``). Only the hash itself counts as work in flight.
* **Prioritised**: verifying a password (a returning person signing in, finishing what they
  came for) goes before hashing a new one (sign-up, password change).
* **Not refusing a committed request**: the request that ends someone's wait in the waiting
  room was let in because the site had room for that person, and admission control never
  turns it away (``committed()``, which the site supplies like ``step_aside``); nor does the
  pool's door: it goes in a queue of its own, served before the others, and waits up to
  ``COMMITTED_WAIT_FACTOR`` times ``max_wait``. The room's inlet paces them, one per place in
  line (a ticket shown again is not committed again, see the room's ``Admitted``), so this
  does not unbound the pool (what the lab saw without this: ``surge/admission/aside.py``).

Clock and sleep are injected so the pacing can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from enum import IntEnum
from typing import TypeVar

T = TypeVar("T")


class HashingBusy(Exception):
    """Too many people are signing in or up at this moment; try again in ``retry_after`` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"password hashing is busy; retry in {retry_after:.0f} s")
        self.retry_after = retry_after


class HashPriority(IntEnum):
    COMMITTED = -1  # whatever it hashes: the request that ends a wait in the waiting room
    VERIFY = 0
    HASH = 1


COMMITTED_WAIT_FACTOR = 4  # a committed request waits up to this many times max_wait


class _Ticket:
    __slots__ = ("future", "priority")

    def __init__(self, priority: HashPriority, future: asyncio.Future[None]) -> None:
        self.priority = priority
        self.future = future


class HashPool:
    def __init__(
        self,
        *,
        workers: int = 1,
        share: float = 1.0,
        max_queue: int = 64,
        max_wait: float = 5.0,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        step_aside: Callable[[], AbstractAsyncContextManager[None]] = contextlib.nullcontext,
        committed: Callable[[], bool] = lambda: False,
    ) -> None:
        if workers < 1 or not 0.0 < share <= 1.0:
            raise ValueError("need workers >= 1 and 0 < share <= 1")
        self.workers = workers
        self.share = share
        self.max_queue = max_queue
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self.step_aside = step_aside
        self.committed = committed
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="password-hash")
        self._free = workers
        self._queues: dict[HashPriority, deque[_Ticket]] = {p: deque() for p in HashPriority}
        self._resting: set[asyncio.Task[None]] = set()  # referenced until they finish
        self.cycle = 0.0  # worker seconds per hash, rest included (moving average)

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def run(self, priority: HashPriority, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a hashing worker when one is free (and rested)."""
        await self._acquire(priority)
        loop = asyncio.get_running_loop()
        started = self._clock()
        try:
            return await loop.run_in_executor(self._executor, fn)
        finally:
            spent = self._clock() - started
            rest = spent * (1.0 - self.share) / self.share
            cycle = spent + rest
            self.cycle = cycle if not self.cycle else self.cycle + 0.2 * (cycle - self.cycle)
            if rest > 0:
                task = loop.create_task(self._rest_then_release(rest))
                self._resting.add(task)
                task.add_done_callback(self._resting.discard)
            else:  # no pacing (the default): the worker goes straight to the next hash
                self._release()

    async def _acquire(self, priority: HashPriority) -> None:
        if self._free > 0 and not self.waiting:
            self._free -= 1
            return
        limit = self.max_wait
        if self.committed():
            priority, limit = HashPriority.COMMITTED, COMMITTED_WAIT_FACTOR * self.max_wait
        else:
            expected_wait = (self.waiting + 1) * self.cycle / self.workers
            if self.waiting >= self.max_queue or expected_wait > self.max_wait:
                raise HashingBusy(self.max_wait)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticket = _Ticket(priority, future)
        self._queues[priority].append(ticket)
        try:
            async with self.step_aside():
                await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            if future.done():  # granted in the same instant as the timeout: keep it
                return
            self._queues[priority].remove(ticket)
            raise HashingBusy(self.max_wait) from None
        except asyncio.CancelledError:
            if future.done():
                self._release()  # granted, but the caller is gone: pass the worker on
            else:
                self._queues[priority].remove(ticket)
            raise

    async def _rest_then_release(self, rest: float) -> None:
        await self._sleep(rest)
        self._release()

    def _release(self) -> None:
        for priority in HashPriority:
            queue = self._queues[priority]
            while queue:
                ticket = queue.popleft()
                if not ticket.future.done():
                    ticket.future.set_result(None)  # the worker passes straight to them
                    return
        self._free += 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

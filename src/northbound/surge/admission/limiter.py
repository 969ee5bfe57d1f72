"""Enforcement: count requests in flight against a ``Limit``, by priority, with a short queue.

How the three overload signals combine:

* **latency** feeds the ``Limit`` (one sample per finished request), which moves the limit;
* **in-flight** is compared with the limit at each admission. Each priority may fill only its
  *share* of the limit (by default critical 100 %, normal 90 %, sheddable 70 %), so the top of
  the limit is headroom that lower priorities can never take from higher ones;
* **event-loop lag** and **accept-queue wait** are vetoes the latency samples cannot give:
  they see work queued *before* any request reaches the app (a starved loop; connections the
  kernel holds because a CPU-bound server accepts them in batches between loop turns, see
  :mod:`.accept_queue`). Both are measured in seconds. When one exceeds its threshold
  (``lag_threshold``, ``backlog_max_wait``), a sheddable request is refused at the door with
  probability ``excess / threshold`` (all of them at twice the threshold), even if there is
  room. Normal and critical requests are never refused for these signals alone: they come
  from people already inside (a pass, a session), whom the site has committed to serve; they
  wait their turn in the bounded queue, whose timeouts still shed the stale. (An earlier rule
  refused a normal request that found no room while the loop lagged; in a crowd test that
  turned people the waiting room had just let in into 503s, by the hundred, while the
  newcomers causing the lag were already held in the line.)

  Why in proportion, and why seconds rather than a count of connections: a refusal is cheap
  for the app but not free for the server (uvicorn still accepts the connection and parses
  the request, a few hundred microseconds on one core). Under a flood that arrives faster
  than the server can even refuse, a count threshold stays exceeded whatever the app does, so
  an all-or-nothing veto refused *everyone* and goodput fell to zero. Shedding in proportion
  to how late the server is lets the queue find a level where it still serves as much as it
  can while the wait stays near the threshold; a bounded listen backlog (``northbound serve``)
  keeps the rest in the kernel, where refusing costs the server nothing.

Why the combination cannot get stuck. Each signal recovers on its own, from evidence that
keeps arriving while the server is idle: loop lag halves on every calm timer tick; the
accept-queue wait is 0 once the kernel's queue is short, and its drain rate is re-measured
after an idle spell; and the limit (see :mod:`.gradient2`) moves on the *median* latency of
a window, so a few slow requests do not shrink it, and relaxes back to its initial value while
the service is quiet, so a fall is never permanent. ``saturated`` (what the waiting room reads)
holds for only ``saturation_hold`` after the last queued or shed request. Nothing here decides
by people or passes (the holders' figures are kept for the waiting room, never read here): an
empty server reads as an empty server on the next request, whatever happened before. The
waiting room's inlet reads ``busy_seconds`` (in-flight integrated over time,
:mod:`.occupancy`) rather than the instant count, for the same reason.

A request that cannot start waits in a bounded queue (``max_queue`` across priorities). Waiters
are served by priority; within a priority first-in first-out while the queue is healthy. The
queue is *standing* (CoDel's word) when it has not been empty for ``codel_interval``: then new
waiters get at most ``codel_target`` to start and the newest are served first (adaptive LIFO),
so that those who are still likely to be waiting for the answer get it, and the stale are shed.

Why ``codel_target`` is half a second and not CoDel's few milliseconds. A CPU-bound server at
capacity always has a standing queue of a few requests: arrivals come in bursts (a page and
its form, several people let in on one tick), and a burst takes a few hundred milliseconds to
clear on one core. With a 10 ms target every request that arrived during a burst was refused
after 10 ms, though the server would have answered it well inside the two seconds a person
counts as prompt: in the lab's election-night run 1,289 people inside the site (passes and
sessions) got a 503 that way at about capacity, where the unprotected site answered everyone.
Half a second keeps the waits of what is served short, and still sheds the stale when a
standing queue does not drain. A priority whose own timeout is shorter keeps it.
"""

from __future__ import annotations

import asyncio
import math
import random as _random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from northbound.surge.admission.accept_queue import BacklogSignal
from northbound.surge.admission.figures import LimiterFigures
from northbound.surge.admission.hidden_queue import HiddenQueue
from northbound.surge.admission.limit import DEFAULT_CLOCK, Limit, Sample
from northbound.surge.admission.loop_lag import LagSignal
from northbound.surge.admission.metrics import AdmissionMetrics
from northbound.surge.admission.occupancy import Occupancy
from northbound.surge.admission.permit import Permit, ShedReason
from northbound.surge.admission.priority import Priority
from northbound.surge.types import Clock

DEFAULT_SHARES: Mapping[Priority, float] = {
    Priority.CRITICAL: 1.0,
    Priority.NORMAL: 0.9,
    Priority.SHEDDABLE: 0.7,
}
DEFAULT_CODEL_TARGET = 0.5  # seconds to start while the queue is standing (see above)
DEFAULT_QUEUE_TIMEOUTS: Mapping[Priority, float] = {
    Priority.CRITICAL: 2.0,
    Priority.NORMAL: 1.0,
    Priority.SHEDDABLE: 0.25,
}


@dataclass(slots=True, eq=False)  # eq=False: a waiter is found in its queue by identity
class _Waiter:
    priority: Priority
    holder: bool
    enqueued: float
    future: asyncio.Future[Permit | ShedReason]
    timer: asyncio.TimerHandle | None = None


class Limiter:
    """Priority-aware concurrency limiter over an adaptive ``Limit``.

    Implements :class:`northbound.surge.capacity.CapacitySignal` (``limit``, ``in_flight``,
    ``busy_seconds``, ``shed_total``, ``saturated``, and the same for the requests of people
    the waiting room let in, ``holders_*``) for the waiting room. ``saturated`` stays true for
    ``saturation_hold`` seconds after the last queued or shed request so the signal does not
    flicker on every gap between bursts.
    """

    def __init__(
        self,
        limit: Limit,
        *,
        shares: Mapping[Priority, float] = DEFAULT_SHARES,
        queue_timeouts: Mapping[Priority, float] = DEFAULT_QUEUE_TIMEOUTS,
        max_queue: int = 50,
        codel_target: float = DEFAULT_CODEL_TARGET,
        codel_interval: float = 0.1,
        lag_signal: LagSignal | None = None,
        lag_threshold: float = 0.1,
        backlog_signal: BacklogSignal | None = None,
        backlog_max_wait: float = 0.25,
        count_arrivals: bool = True,
        saturation_hold: float = 1.0,
        clock: Clock = DEFAULT_CLOCK,
        random: Callable[[], float] = _random.random,
        metrics: AdmissionMetrics | None = None,
    ) -> None:
        missing = set(Priority) - set(shares) | set(Priority) - set(queue_timeouts)
        if missing:
            raise ValueError(f"shares and queue timeouts needed for {sorted(missing)}")
        ordered = [shares[p] for p in Priority]
        if any(not 0.0 < s <= 1.0 for s in ordered) or ordered != sorted(ordered, reverse=True):
            raise ValueError("shares must be in (0, 1] and not grow as priority falls")
        self._limit = limit
        self._shares = dict(shares)
        self._queue_timeouts = dict(queue_timeouts)
        self.max_queue = max_queue
        self.codel_target = codel_target
        self.codel_interval = codel_interval
        self.hidden = HiddenQueue(
            lag_signal=lag_signal,
            lag_threshold=lag_threshold,
            backlog_signal=backlog_signal,
            backlog_max_wait=backlog_max_wait,
            random=random,
        )
        # False when something in front of the limiter already counts every request for the
        # backlog signal (``ArrivalCounter``): requests answered before admission control
        # (cached pages, the waiting page, 429s) drain the accept queue too.
        self._arrivals = backlog_signal if count_arrivals else None
        self.saturation_hold = saturation_hold
        self._clock = clock
        self._inside = Occupancy(clock)
        self._queues: dict[Priority, deque[_Waiter]] = {p: deque() for p in Priority}
        # the queues a request of each priority may not overtake (its own and those above),
        # listed once: iterating the Priority enum on every admission costs more than the rest
        self._not_overtaken = {
            priority: [self._queues[p] for p in Priority if p <= priority] for priority in Priority
        }
        self._waiting = 0
        self._last_empty = clock()
        self._last_pressure = -math.inf
        # The figures are process-wide: None where several limiters share one process and
        # would overwrite one another's (the simulator's instances), or nobody reads them.
        self._figures = (
            LimiterFigures(metrics, lambda: (self._inside.in_flight, self._limit.limit))
            if metrics is not None
            else None
        )

    # CapacitySignal -----------------------------------------------------------------------------
    @property
    def limit(self) -> int:
        return self._limit.limit

    @property
    def in_flight(self) -> int:
        return self._inside.in_flight

    @property
    def busy_seconds(self) -> float:
        return self._inside.busy_seconds

    @property
    def shed_total(self) -> int:
        return self._inside.shed_total

    @property
    def holders_in_flight(self) -> int:
        return self._inside.holders_in_flight

    @property
    def holders_busy_seconds(self) -> float:
        return self._inside.holders_busy_seconds

    @property
    def holders_shed_total(self) -> int:
        return self._inside.holders_shed_total

    @property
    def saturated(self) -> bool:
        return (
            self._waiting > 0
            or self.hidden.behind()
            or self._clock() - self._last_pressure < self.saturation_hold
        )

    # --------------------------------------------------------------------------------------------
    @property
    def waiting(self) -> int:
        return self._waiting

    def allowance(self, priority: Priority) -> int:
        """How many requests may be in flight before a request of ``priority`` has to wait."""
        return max(1, math.ceil(self._limit.limit * self._shares[priority]))

    def _standing_queue(self, now: float) -> bool:
        return self._waiting > 0 and now - self._last_empty > self.codel_interval

    def _can_start(self, priority: Priority) -> bool:
        if self._inside.in_flight >= self.allowance(priority):
            return False
        # Nobody may overtake a waiter of the same or a higher priority.
        return not self._waiting or not any(self._not_overtaken[priority])

    def try_acquire(self, priority: Priority) -> Permit | None:
        """Admit at once if there is room, without queueing."""
        if self._arrivals is not None:
            self._arrivals.arrived()
        if priority is Priority.SHEDDABLE and self.hidden.veto() is not None:
            return None
        if not self._can_start(priority):
            return None
        return self._grant(priority, False)

    def admit_committed(self, holder: bool = False) -> Permit:
        """Admit now, over the limit if need be: for a request the site has already committed
        to serve, whose rate something else paces (the one that ends a wait in the waiting
        room: the inlet let that person in because there was room). Counted in flight like
        any other, so the limit and the inlet see it; never queued, never shed (nor by what it
        waits for later: the permit says it is committed, :func:`~.aside.committed_request`)."""
        if self._arrivals is not None:
            self._arrivals.arrived()
        return self._grant(Priority.CRITICAL, holder, committed=True)

    async def acquire(self, priority: Priority, holder: bool = False) -> Permit | ShedReason:
        """Admit now, after a short wait, or answer why the request must be shed.

        ``holder``: the request of someone the waiting room let in (it carries a pass). It
        changes nothing of the decision; it is counted apart (``holders_*``) for the room,
        which reads its own people's load apart from the pages it leaves open."""
        decided = self.decide(priority, holder)
        if decided is not None:
            return decided
        return await self.wait(priority, holder)

    def decide(self, priority: Priority, holder: bool = False) -> Permit | ShedReason | None:
        """The first half of :meth:`acquire`, which never waits: a permit if there is room
        now, the reason if the request is shed at the door, None if it must queue (then
        :meth:`wait` for it, at once). For callers that drive the limiter without an event
        loop (the simulator), whose common case then needs no coroutine."""
        if self._arrivals is not None:
            self._arrivals.arrived()
        if priority is Priority.SHEDDABLE:
            pressure = self.hidden.veto()
            if pressure is not None:
                return self._shed(priority, holder, pressure)
        if self._can_start(priority):
            return self._grant(priority, holder)
        if self._waiting >= self.max_queue and not self._displace_below(priority):
            return self._shed(priority, holder, ShedReason.QUEUE_FULL)
        return None

    def _occupy(self, slots: int, holder: bool = False) -> float:
        """Take (or, negative, give back) slots, a holder's or not; the time (for the figures)."""
        now = self._inside.occupy(slots, holder)
        if self._figures is not None:
            self._figures.changed(now)
        return now

    def _grant(self, priority: Priority, holder: bool, committed: bool = False) -> Permit:
        now = self._occupy(1, holder)
        if self._figures is not None:
            self._figures.admitted(priority)
        return Permit(self, priority, now, self._inside.in_flight, holder, committed)

    def take_again(self, permit: Permit) -> None:
        """A slot for a permit that stepped aside, over the limit if need be (for
        :class:`~.permit.Permit`)."""
        self._occupy(1, permit.holder)

    def now(self) -> float:
        return self._clock()

    def _shed(self, priority: Priority, holder: bool, reason: ShedReason) -> ShedReason:
        self._last_pressure = self._clock()
        self._inside.shed(holder)
        if self._figures is not None:
            self._figures.shed(priority, reason)
        return reason

    def _displace_below(self, priority: Priority) -> bool:
        """Make room in a full queue by shedding the newest waiter of a lower priority."""
        for lower in sorted(Priority, reverse=True):
            if lower <= priority:
                return False
            queue = self._queues[lower]
            if queue:
                victim = queue.pop()
                self._dequeued(victim)
                shed = self._shed(victim.priority, victim.holder, ShedReason.DISPLACED)
                victim.future.set_result(shed)
                return True
        return False

    async def wait(self, priority: Priority, holder: bool = False) -> Permit | ShedReason:
        """Queue for a slot (what :meth:`acquire` does when :meth:`decide` answers None):
        a permit when one frees in time, else why the request was shed."""
        now = self._clock()
        if self._waiting == 0:
            self._last_empty = now
        timeout = self._queue_timeouts[priority]
        if self._standing_queue(now):
            timeout = min(timeout, self.codel_target)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Permit | ShedReason] = loop.create_future()
        waiter = _Waiter(priority, holder, now, future)
        waiter.timer = loop.call_later(timeout, self._expire, waiter)
        self._queues[priority].append(waiter)
        self._waiting += 1
        self._last_pressure = now
        if self._figures is not None:
            self._figures.queued(self._waiting)
        try:
            return await future
        except asyncio.CancelledError:
            # Our task was cancelled (client gone, server stopping): leave no trace behind.
            self._abandon(waiter)
            raise

    def _abandon(self, waiter: _Waiter) -> None:
        if waiter.future.done() and not waiter.future.cancelled():
            outcome = waiter.future.result()
            if isinstance(outcome, Permit):
                outcome.release(sample=False)
            return
        queue = self._queues[waiter.priority]
        if waiter in queue:
            queue.remove(waiter)
            self._dequeued(waiter)

    def _dequeued(self, waiter: _Waiter) -> None:
        if waiter.timer is not None:
            waiter.timer.cancel()
        self._waiting -= 1
        now = self._clock()
        if self._waiting == 0:
            self._last_empty = now
        if self._figures is not None:
            self._figures.dequeued(self._waiting, now - waiter.enqueued)

    def _expire(self, waiter: _Waiter) -> None:
        queue = self._queues[waiter.priority]
        if waiter.future.done() or waiter not in queue:
            return
        queue.remove(waiter)
        waiter.timer = None
        self._dequeued(waiter)
        waiter.future.set_result(self._shed(waiter.priority, waiter.holder, ShedReason.TIMEOUT))

    def give_back(self, permit: Permit, *, dropped: bool, sample: bool) -> None:
        """A permit's slot, back (:class:`~.permit.Permit` calls this; nobody else should)."""
        now = self._occupy(-1, permit.holder)
        if sample:
            self._limit.on_sample(
                Sample(permit.start, now - permit.start, permit.in_flight, dropped)
            )
        self._drain()

    def _drain(self) -> None:
        """Hand free slots to waiters, highest priority first."""
        while self._waiting:
            standing = self._standing_queue(self._clock())
            for priority in Priority:
                queue = self._queues[priority]
                if not queue:
                    continue
                if self._inside.in_flight >= self.allowance(priority):
                    return  # shares fall with priority: nobody lower can start either
                waiter = queue.pop() if standing else queue.popleft()
                self._dequeued(waiter)
                if waiter.future.done():
                    # Its task was cancelled (client gone) and has not run its clean-up yet:
                    # granting it a slot would raise, and the slot would be lost.
                    break
                waiter.future.set_result(self._grant(priority, waiter.holder))
                break

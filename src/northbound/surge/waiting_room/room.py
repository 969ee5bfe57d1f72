"""The waiting room: one line, signed passes, a closed-loop inlet, for one room.

One :class:`WaitingRoom` per process, made of its jobs:

* :class:`~.tick.Tick`: the one place that changes what this process knows about the room
  (the view of the shared state, the revoked passes, auto mode, the inlet);
* :class:`~.passes.Passes`: issuing, checking and renewing passes and tickets;
* :class:`~.line.Line`: the line as one visitor sees it (place, people ahead, wait, poll
  interval), answered from the tick's view;
* :class:`~.activity.Activity`: what requests tell the room (liveness, who is active, who
  came back for their pass), read out by the tick.

This module wires them and keeps the request path that must touch the store: joining the
line and claiming a pass (:meth:`WaitingRoom.visit`). Everything else a request asks is a
synchronous, cheap question answered from memory. The tick is started by :meth:`start` from
the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from ..background import cancel_and_wait
from ..capacity import CapacitySignal
from ..types import WALL, Clock
from .activity import Activity
from .config import WaitingRoomSettings
from .estimator import Estimate, OutflowEstimator
from .inlet import InletPolicy
from .line import Line, Waiting, WaitView
from .metrics import RoomMetrics, room_metrics
from .passes import Admitted, Passes
from .prequeue import shuffled_index
from .store import Controls, RoomState, RoomStore
from .tick import Tick, in_prequeue, is_on
from .tokens import Claims, KeyRing, Kind, PassSigner, visitor_hash

__all__ = ["Admitted", "WaitView", "Waiting", "WaitingRoom"]

log = logging.getLogger(__name__)


class _IdleCapacity:
    """Stand-in when no admission controller is wired: never saturated, fixed limit."""

    limit = 100
    in_flight = holders_in_flight = 0
    busy_seconds = holders_busy_seconds = 0.0
    shed_total = holders_shed_total = 0
    saturated = False


class WaitingRoom:
    def __init__(
        self,
        settings: WaitingRoomSettings,
        store: RoomStore,
        signer: PassSigner,
        *,
        capacity: CapacitySignal | None = None,
        clock: Clock = WALL,
        rng: random.Random | None = None,
        metrics: RoomMetrics | None = None,
    ) -> None:
        """``metrics``: where the room's Prometheus figures go; None leaves them alone, for
        rooms that share a process with others of the same name (the simulator's instances),
        whose figures would overwrite one another, and rooms nobody scrapes."""
        self.settings = settings
        self.name = settings.name
        self.store = store
        self.capacity: CapacitySignal = capacity if capacity is not None else _IdleCapacity()
        self.clock = clock
        self.activity = Activity(settings, clock())
        self.epoch_seconds = self.activity.epoch_seconds
        self.estimator = OutflowEstimator(
            settings.eta_window_seconds,
            settings.eta_rate_window_seconds,
            ghost_seconds=self.activity.ghost_seconds,
        )
        self.inlet = InletPolicy(
            target_utilisation=settings.target_utilisation,
            requests_per_session=settings.requests_per_session,
            max_admit_per_tick=settings.max_admit_per_tick,
            gain=settings.inlet_gain,
            line_share=settings.line_share,
        )
        self._tick = Tick(
            settings, store, self.capacity, self.activity, self.estimator, self.inlet, clock,
            metrics,
        )  # fmt: skip
        self.passes = Passes(settings, signer, self._tick, clock, metrics)
        self.line = Line(settings, self._tick, self.estimator, rng or random.Random())
        self._task: asyncio.Task[None] | None = None
        self._started = False

    @classmethod
    def from_settings(
        cls,
        settings: WaitingRoomSettings,
        *,
        site_secret: str,
        redis_url: str = "",
        capacity: CapacitySignal | None = None,
        metric_namespace: str | None = None,
    ) -> WaitingRoom:
        """The room the app runs: Redis-backed when ``redis_url`` is set, else in-process;
        its figures named ``<metric_namespace>_room_*`` (None: none exported)."""
        store: RoomStore
        if redis_url:
            from .redis_store import RedisStore

            store = RedisStore.from_url(
                redis_url,
                room=settings.name,
                prefix=settings.redis_prefix,
                epoch_seconds=settings.abandon_grace_seconds / 2,
            )
        else:
            from .memory_store import InProcessStore

            store = InProcessStore()
        signer = PassSigner(settings.name, KeyRing.from_settings(settings.pass_keys, site_secret))
        metrics = None if metric_namespace is None else room_metrics(metric_namespace)
        return cls(settings, store, signer, capacity=capacity, metrics=metrics)

    # lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Apply the configured mode, take a first look at the state, start the tick task."""
        if self._started:
            return
        self._started = True
        try:
            if self.settings.mode != "auto":
                await self.store.update_controls(Controls(mode=self.settings.mode))
            await self.tick()
        except Exception:  # Redis down at start-up: serve anyway, the tick retries
            log.exception("waiting room store unreachable at start-up; retrying every tick")
        self._task = asyncio.create_task(self._run(), name=f"waiting-room-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        with contextlib.suppress(Exception):
            await self._tick.flush_touches(self.activity.epoch(self.clock()))
        await self.store.close()
        self._tick.close()
        self._started = False

    async def _run(self) -> None:
        period = self.settings.tick_seconds
        while True:
            # A steady period, not a pause after each tick: the waiting page tells people when
            # the line next moves (Tick.next_at), and a pause after a tick that took 100-200 ms
            # under load made every period that much longer than announced (in the lab, a
            # third of those told "1 second" came back before the line had moved). A tick
            # that overran, or failed, waits for the next slot of the same schedule; a clock
            # that stands still (0) waits a whole period rather than spin.
            delay = (self._tick.next_at - self.clock()) % period
            await asyncio.sleep(delay or period)
            try:
                await self.tick()
            except Exception:  # the store is down: keep the last view, passes stay valid
                log.exception("waiting room tick failed; keeping the last known state")

    @property
    def signer(self) -> PassSigner:
        return self.passes.signer

    @signer.setter
    def signer(self, signer: PassSigner) -> None:
        """A new key ring (keys rotated): every pass is checked with it from now on."""
        self.passes.signer = signer

    # the tick and what it keeps ----------------------------------------------------------

    async def tick(self) -> None:
        await self._tick()

    @property
    def state(self) -> RoomState:
        return self._tick.state

    def is_on(self, state: RoomState | None = None) -> bool:
        """Whether newcomers queue (True) or pass straight through (False)."""
        return is_on(state or self._tick.state)

    def in_prequeue(self, state: RoomState | None = None) -> bool:
        return in_prequeue(state or self._tick.state)

    @property
    def active_holders(self) -> int:
        return self.activity.active_holders

    # operator controls -------------------------------------------------------------------

    async def refresh(self) -> RoomState:
        """Re-read the shared state without running the inlet (operators, status pages)."""
        return await self._tick.refresh()

    async def revoke(self, position: int) -> None:
        await self._tick.revoke(position)

    # passes ------------------------------------------------------------------------------

    def check_pass(self, token: str, visitor_id: str) -> Claims | None:
        """Verified claims of a current, unrevoked pass, or None (failures are counted)."""
        return self.passes.check(token, visitor_id)

    def still_valid(self, claims: Claims) -> bool:
        return self.passes.still_valid(claims)

    def renewal(self, claims: Claims) -> str | None:
        return self.passes.renewal(claims)

    def note_active(self, claims: Claims) -> None:
        self.activity.seen_active(claims.position)

    # the line ----------------------------------------------------------------------------

    def refresh_seconds(self, ahead: int, estimate: Estimate | None) -> int:
        return self.line.refresh_seconds(ahead, estimate)

    def view(self, position: int, rejoined: bool = False) -> WaitView:
        now = self.clock()
        return self.line.view(position, now, self._tick.released(now), rejoined)

    def poll(self, ticket: Claims) -> WaitView | None:
        """Answer the common poll from memory: a ticket whose turn has not come yet.

        None means the visit needs :meth:`visit` (its turn came, a pre-queue ticket, or a
        first estimate to record in the ticket). Liveness marks go to the store once a tick.
        """
        position = ticket.position
        if ticket.prequeue_index:
            return None
        now = self.clock()
        released = self._tick.released(now)
        if position <= released:
            return None
        view = self.line.view(position, now, released)
        if ticket.estimate_seconds < 0 and view.estimate is not None:
            return None
        self.activity.seen_waiting(position)
        return view

    async def visit(self, ticket: Claims | None, visitor_id: str) -> Admitted | Waiting:
        """Admit a visitor whose turn came, or place them (once) and say how they stand.

        ``ticket`` is the verified ticket they hold (from :meth:`check_pass`), if any: holding
        one is what makes a second visit return the same place.
        """
        now = self.clock()
        if ticket is not None and ticket.kind is Kind.PASS:
            return Admitted(self.signer.sign(ticket), ticket)
        if ticket is not None:
            return await self._continue(ticket, ticket.visitor_hash, now)
        return await self._join(visitor_hash(visitor_id), now)

    def _admit(
        self, position: int, vhash: bytes, joined: int, estimate: int, *, ended_wait: bool = False
    ) -> Admitted:
        # A ticket stays valid after its place is let in, and can be shown again: only the
        # first claim of a place here lately ends a wait (see Admitted.ended_wait).
        ended_wait = ended_wait and not self.activity.recently_active(position)
        admitted = self.passes.issue(position, vhash, joined, estimate, ended_wait=ended_wait)
        self.activity.claimed(position, self.clock())
        return admitted

    async def _join(
        self, vhash: bytes, now: float, *, rejoined: bool = False
    ) -> Waiting | Admitted:
        epoch = self.activity.epoch(now)
        joined = int(now)
        state = self._tick.state
        if in_prequeue(state):
            index, position = await self.store.join_prequeue(epoch=epoch)
            if index:
                # a pre-queue ticket names its schedule in the otherwise unused admitted_at
                schedule = int(self._tick.state.opens_at or 0)
                token = self.passes.ticket(0, vhash, joined, -1, prequeue=(index, schedule))
                return Waiting(token, self.line.prequeue_view(now))
        else:
            position, through = await self.store.join(free_flow=not is_on(state), epoch=epoch)
            if through:
                return self._admit(position, vhash, joined, 0)
        view = self.line.view(position, now, self._tick.released(now), rejoined)
        estimate = view.estimate.seconds if view.estimate is not None else -1
        return Waiting(self.passes.ticket(position, vhash, joined, estimate), view)

    async def _continue(self, ticket: Claims, vhash: bytes, now: float) -> Waiting | Admitted:
        position = ticket.position
        if ticket.prequeue_index and not position:
            state = self._tick.state
            scheduled = int(state.opens_at) if state.opens_at is not None else -1
            if (
                ticket.admitted_at != scheduled  # a ticket of an earlier, cancelled schedule
                or state.prequeue_key is None
                or ticket.prequeue_index > state.prequeue_count
            ):
                if in_prequeue(self._tick.state):
                    return Waiting(None, self.line.prequeue_view(now))
                return await self._join(vhash, now)  # a pre-queue that was cancelled
            shuffled = shuffled_index(
                state.prequeue_key, ticket.prequeue_index - 1, state.prequeue_count
            )
            position = state.prequeue_base + shuffled + 1
        released = self._tick.released(now)
        if position <= released:
            if await self.store.claim(position):
                self._observe_wait(ticket, now)
                return self._admit(
                    position, vhash, ticket.joined_at, ticket.estimate_seconds, ended_wait=True
                )
            return await self._join(vhash, now, rejoined=True)
        self.activity.seen_waiting(position)
        view = self.line.view(position, now, released)
        changed = position != ticket.position or ticket.prequeue_index
        if ticket.estimate_seconds < 0 and view.estimate is not None:
            # the first estimate they saw is the one graded against the actual wait
            ticket = ticket._replace(estimate_seconds=view.estimate.seconds)
            changed = True
        if not changed:
            return Waiting(None, view)
        ticket = ticket._replace(
            position=position, prequeue_index=0, admitted_at=0, issued_at=int(now)
        )
        return Waiting(self.signer.sign(ticket), view)

    def _observe_wait(self, ticket: Claims, now: float) -> None:
        metrics = self._tick.metrics
        if metrics is None:
            return
        actual = max(0.0, now - ticket.joined_at)
        metrics.actual_wait.labels(self.name).observe(actual)
        if ticket.estimate_seconds >= 0:
            metrics.estimated_wait.labels(self.name).observe(ticket.estimate_seconds)
            if actual > 0:
                error = abs(ticket.estimate_seconds - actual) / actual
                metrics.wait_error.labels(self.name).observe(error)

"""The waiting room: line, passes, closed-loop inlet and auto-activation for one room.

One :class:`WaitingRoom` per process. Requests ask it synchronous, cheap questions (is this
pass good, what does this visitor's wait look like) answered from a view of the shared state
refreshed once per tick; only joining the line and claiming a pass touch the store. The tick
(started by :meth:`start` from the app's lifespan) flushes liveness marks, refreshes the view,
opens a scheduled pre-queue, switches the room on and off in auto mode and runs the inlet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import secrets
from collections import deque
from dataclasses import dataclass, replace
from typing import NamedTuple

from ..capacity import CapacitySignal
from ..types import WALL, Clock
from . import metrics
from .config import WaitingRoomSettings
from .estimator import Estimate, OutflowEstimator
from .inlet import InletInputs, InletPolicy
from .prequeue import shuffled_index
from .store import Controls, RoomState, RoomStore
from .tokens import (
    Claims,
    KeyRing,
    Kind,
    PassRefused,
    PassSigner,
    time_refusal,
    visitor_hash,
)

log = logging.getLogger(__name__)

_LIVENESS_EPOCHS = 3  # the current epoch and two before it: unseen for 1x-1.5x grace = gone


class WaitView(NamedTuple):
    """What the waiting page and its JSON twin show one visitor."""

    position: int | None  # None in the pre-queue, before the opening shuffles it
    ahead: int
    estimate: Estimate | None
    refresh_seconds: int
    opens_at: float | None = None
    rejoined: bool = False  # their old place was given up after they went away
    paused: bool = False  # an operator paused the inlet: nobody is let in for now


@dataclass(frozen=True, slots=True)
class Admitted:
    token: str
    claims: Claims


@dataclass(frozen=True, slots=True)
class Waiting:
    token: str | None  # None: the ticket the visitor holds is still the right one
    view: WaitView


def _empty_state() -> RoomState:
    return RoomState(
        tail=0, serving=0, mode="auto", auto_active=False, paused=False,
        fixed_rate_per_minute=None, admit_cap_per_minute=None, opens_at=None,
        prequeue_count=0, prequeue_base=0, prequeue_key=None, prequeue_opened_at=0.0,
        revoked_version=0, live_waiting=0, admitted_total=0, abandoned_total=0,
    )  # fmt: skip


class _IdleCapacity:
    """Stand-in when no admission controller is wired: never saturated, fixed limit."""

    limit = 100
    in_flight = 0
    busy_seconds = 0.0
    shed_total = 0
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
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.store = store
        self.signer = signer
        self.capacity: CapacitySignal = capacity if capacity is not None else _IdleCapacity()
        self.clock = clock
        self._rng = rng or random.Random()
        self.epoch_seconds = settings.abandon_grace_seconds / 2
        self.state = _empty_state()
        self.estimator = OutflowEstimator(
            settings.eta_window_seconds, notice_seconds=settings.tick_seconds / 2
        )
        self.inlet = InletPolicy(
            target_utilisation=settings.target_utilisation,
            requests_per_session=settings.requests_per_session,
            max_admit_per_tick=settings.max_admit_per_tick,
            gain=settings.inlet_gain,
        )
        self._touches: set[int] = set()
        self._active_now: set[int] = set()
        self._active_before: set[int] = set()
        self._active_rotated_at = clock()
        self._admitted_recently: deque[tuple[float, int]] = deque()
        self._claimed_recently: deque[float] = deque()
        self._revoked: frozenset[int] = frozenset()
        self._revoked_version_seen = 0
        self._last_tick: float | None = None
        self._busy_seen = self.capacity.busy_seconds
        self._shed_seen = self.capacity.shed_total
        self._pressure_ticks = 0  # consecutive ticks on which requests were turned away
        self._busy = 0.0  # mean requests in flight over the last tick
        self._drained_since: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False

    # construction ------------------------------------------------------------------------

    @classmethod
    def from_settings(
        cls,
        settings: WaitingRoomSettings,
        *,
        site_secret: str,
        redis_url: str = "",
        capacity: CapacitySignal | None = None,
    ) -> WaitingRoom:
        """The room the app runs: Redis-backed when ``redis_url`` is set, else in-process."""
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
        return cls(settings, store, signer, capacity=capacity)

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
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self._flush_touches(self._epoch(self.clock()))
        await self.store.close()
        self._started = False

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_seconds)
            try:
                await self.tick()
            except Exception:  # the store is down: keep the last view, passes stay valid
                log.exception("waiting room tick failed; keeping the last known state")

    # the tick ----------------------------------------------------------------------------

    def _epoch(self, now: float) -> int:
        return int(now // self.epoch_seconds)

    def _epochs(self, now: float) -> list[int]:
        current = self._epoch(now)
        return [current - back for back in range(_LIVENESS_EPOCHS)]

    async def _flush_touches(self, epoch: int) -> None:
        if self._touches:
            batch, self._touches = self._touches, set()
            try:
                await self.store.touch(batch, epoch=epoch, keep_epochs=_LIVENESS_EPOCHS)
            except BaseException:
                # the store is down: keep the marks for the next tick, or people who polled
                # faithfully through a Redis blip would lose their places
                self._touches |= batch
                raise

    def is_on(self, state: RoomState | None = None) -> bool:
        """Whether newcomers queue (True) or pass straight through (False)."""
        state = state or self.state
        if state.mode == "off":
            return False
        if state.mode == "on" or state.auto_active:
            return True
        return state.opens_at is not None and state.prequeue_key is None

    def in_prequeue(self, state: RoomState | None = None) -> bool:
        """Whether newcomers join the pre-queue: from the schedule until the tick that draws
        the shuffle, not until the opening time itself. Someone who arrives in the instant
        between the opening and that tick would otherwise take a place in the ordinary line,
        ahead of everybody who came early (seen in a lottery-opening run: 44-202 people)."""
        state = state or self.state
        return state.mode != "off" and state.opens_at is not None and state.prequeue_key is None

    def _measure_busy(self, now: float) -> None:
        """Mean requests in flight since the previous tick (the instant count when the clock
        has not moved, as in a test that ticks twice at one time)."""
        busy = self.capacity.busy_seconds
        elapsed = now - self._last_tick if self._last_tick is not None else 0.0
        if elapsed > 0:
            self._busy = max(0.0, busy - self._busy_seen) / elapsed
        else:
            self._busy = float(self.capacity.in_flight)
        self._busy_seen = busy

    async def tick(self) -> None:
        now = self.clock()
        self._measure_busy(now)
        epochs = self._epochs(now)
        await self._flush_touches(epochs[0])
        state = await self.store.state(epochs=epochs)
        if state.opens_at is not None and state.prequeue_key is None and now >= state.opens_at:
            await self.store.open_prequeue(secrets.token_bytes(16), now)
            state = await self.store.state(epochs=epochs)
        state = await self._auto_switch(state, now, epochs)
        self._rotate_active(now)
        if self.is_on(state) and not self.in_prequeue(state):
            state = await self._run_inlet(state, now, epochs)
        self._last_tick = now
        self.state = state
        if self.is_on(state):
            self.estimator.observe(
                now, state.serving, tail=state.tail, live=state.live_waiting,
                admitted=state.admitted_total,
            )  # fmt: skip
        else:
            # In free flow the serving number moves with arrivals, not with an inlet: a rate
            # measured then would promise the first people in line a wait far too short.
            self.estimator.reset()
        if state.revoked_version != self._revoked_version_seen:
            version, revoked = await self.store.revoked()
            self._revoked, self._revoked_version_seen = revoked, version
        self._export(state)

    def _turned_away(self) -> bool:
        """Whether admission control refused anyone since the previous tick."""
        shed = self.capacity.shed_total
        refused = shed > self._shed_seen
        self._shed_seen = shed
        return refused

    async def _auto_switch(self, state: RoomState, now: float, epochs: list[int]) -> RoomState:
        """On after ``activate_seconds`` of people being turned away; off after the line has
        been empty, with headroom, for ``drain_seconds``.

        Why sustained refusals and not one saturated reading: a queue of a few requests for a
        few milliseconds is what a Poisson crowd at half capacity looks like, and admission
        control absorbs it; switching the room on for it made every newcomer wait a refresh
        at half load (seen in a crowd test, 12 s into the quiet minute). The room is for when
        admission control is refusing people tick after tick; the two thresholds, far apart
        in time, keep it from flapping.
        """
        if state.mode != "auto":
            return state
        capacity = self.capacity
        pressed = self._turned_away() and capacity.saturated
        self._pressure_ticks = self._pressure_ticks + 1 if pressed else 0
        settings = self.settings
        activate_ticks = max(1, math.ceil(settings.activate_seconds / settings.tick_seconds))
        if capacity.saturated and (state.auto_active or self._pressure_ticks >= activate_ticks):
            self._drained_since = None
            if not state.auto_active:
                log.info("waiting room %s turns on: admission control saturated", self.name)
                await self.store.update_controls(Controls(auto_active=True))
                return replace(state, auto_active=True)
            return state
        if not state.auto_active or self.in_prequeue(state):
            return state
        headroom = self._busy < self.settings.target_utilisation * capacity.limit
        if state.live_waiting > 0 or not headroom:
            self._drained_since = None
            return state
        if self._drained_since is None:
            self._drained_since = now
        if now - self._drained_since >= self.settings.drain_seconds:
            log.info("waiting room %s turns off: line drained, site has headroom", self.name)
            await self.store.update_controls(
                Controls(auto_active=False, release_all=True, opens_at=-1)
            )
            self._drained_since = None
            return await self.store.state(epochs=epochs)
        return state

    def _pending(self, now: float) -> int:
        window = 3 * self.settings.min_refresh_seconds + 2 * self.settings.tick_seconds
        while self._admitted_recently and now - self._admitted_recently[0][0] > window:
            self._admitted_recently.popleft()
        while self._claimed_recently and now - self._claimed_recently[0] > window:
            self._claimed_recently.popleft()
        admitted = sum(count for _, count in self._admitted_recently)
        return max(0, admitted - len(self._claimed_recently))

    async def _run_inlet(self, state: RoomState, now: float, epochs: list[int]) -> RoomState:
        elapsed = now - self._last_tick if self._last_tick is not None else 0.0
        capacity = self.capacity
        count = self.inlet.decide(
            InletInputs(
                limit=capacity.limit,
                busy=self._busy,
                saturated=capacity.saturated,
                active=self.active_holders,
                pending=self._pending(now),
                elapsed_seconds=max(0.0, elapsed),
                paused=state.paused,
                fixed_rate_per_minute=state.fixed_rate_per_minute,
                admit_cap_per_minute=state.admit_cap_per_minute,
            )
        )
        if count <= 0 or state.serving >= state.tail:
            return state
        keep_alive = (1, 0)
        if state.prequeue_key is not None and now < (
            state.prequeue_opened_at + self.settings.abandon_grace_seconds
        ):
            keep_alive = (state.prequeue_base + 1, state.prequeue_base + state.prequeue_count)
        result = await self.store.admit(
            count, epochs=epochs, keep_alive=keep_alive, scan_limit=4 * count + 10_000
        )
        self._admitted_recently.append((now, result.admitted))
        metrics.ADMITTED.labels(self.name).inc(result.admitted)
        metrics.ABANDONED.labels(self.name).inc(result.skipped)
        return replace(
            state,
            serving=result.serving,
            admitted_total=state.admitted_total + result.admitted,
            abandoned_total=state.abandoned_total + result.skipped,
        )

    def _rotate_active(self, now: float) -> None:
        """Two generations of half a window each: a holder counts for 0.5-1 window after."""
        elapsed = now - self._active_rotated_at
        window = self.settings.active_window_seconds
        if elapsed >= window:
            self._active_before, self._active_now = set(), set()
        elif elapsed >= window / 2:
            self._active_before, self._active_now = self._active_now, set()
        else:
            return
        self._active_rotated_at = now

    @property
    def active_holders(self) -> int:
        return len(self._active_now | self._active_before)

    def _export(self, state: RoomState) -> None:
        metrics.WAITING.labels(self.name).set(state.live_waiting)
        metrics.LINE_LENGTH.labels(self.name).set(state.waiting)
        metrics.ACTIVE.labels(self.name).set(self.active_holders)
        metrics.ROOM_ON.labels(self.name).set(1 if self.is_on(state) else 0)
        metrics.ADMITTED_PER_MINUTE.labels(self.name).set(self.estimator.rate * 60)

    # passes ------------------------------------------------------------------------------

    def check_pass(self, token: str, visitor_id: str) -> Claims | None:
        """Verified claims of a current, unrevoked pass, or None (failures are counted)."""
        try:
            claims = self.signer.verify(token, visitor_id=visitor_id, now=self.clock())
        except PassRefused as refused:
            metrics.PASS_FAILURES.labels(self.name, refused.reason).inc()
            return None
        if self._revoked_pass(claims):
            metrics.PASS_FAILURES.labels(self.name, "revoked").inc()
            return None
        return claims

    def _revoked_pass(self, claims: Claims) -> bool:
        return claims.kind is Kind.PASS and claims.position in self._revoked

    def still_valid(self, claims: Claims) -> bool:
        """Re-check, for claims verified earlier, all that can change since: time, revocation.

        The rest of a verification (signature, key, room, visitor) depends only on the token,
        the visitor id and this room's signer, so it holds for as long as those are the same.
        """
        if time_refusal(claims.issued_at, claims.expires_at, self.clock()):
            return False
        return not self._revoked_pass(claims)

    def note_active(self, claims: Claims) -> None:
        self._active_now.add(claims.position)

    def renewal(self, claims: Claims) -> str | None:
        """A fresh pass when the sliding session is due for renewal, else None."""
        now = int(self.clock())
        session = self.settings.session_seconds
        if claims.expires_at - now > session / 2:
            return None
        hard_end = claims.admitted_at + self.settings.max_session_seconds
        expires = min(now + session, hard_end)
        if expires <= claims.expires_at:
            return None
        return self.signer.sign(claims._replace(issued_at=now, expires_at=expires))

    def _issue_pass(self, position: int, vhash: bytes, joined: int, estimate: int) -> Admitted:
        now = int(self.clock())
        claims = Claims(
            kind=Kind.PASS,
            room=self.name,
            position=position,
            issued_at=now,
            expires_at=now + self.settings.session_seconds,
            joined_at=joined,
            admitted_at=now,
            estimate_seconds=estimate,
            prequeue_index=0,
            visitor_hash=vhash,
        )
        self._active_now.add(position)
        self._claimed_recently.append(self.clock())
        return Admitted(self.signer.sign(claims), claims)

    def _ticket(
        self,
        position: int,
        vhash: bytes,
        joined: int,
        estimate: int,
        prequeue: tuple[int, int] = (0, 0),
    ) -> str:
        now = int(self.clock())
        return self.signer.sign(
            Claims(
                kind=Kind.TICKET,
                room=self.name,
                position=position,
                issued_at=now,
                expires_at=joined + self.settings.ticket_seconds,
                joined_at=joined,
                admitted_at=prequeue[1],
                estimate_seconds=estimate,
                prequeue_index=prequeue[0],
                visitor_hash=vhash,
            )
        )

    # visitors ----------------------------------------------------------------------------

    def refresh_seconds(self, ahead: int, estimate: Estimate | None) -> int:
        """Poll interval: short near the front, longer further back, jittered by +/-20%.

        A visitor whose turn is due sooner than the shortest interval is told to come back
        when it is due: they find out at their next poll, so a fixed interval would add up
        to a whole interval to a short wait, and make the wait they were promised untrue.
        """
        low, high = self.settings.min_refresh_seconds, self.settings.max_refresh_seconds
        if estimate is not None and estimate.seconds < low:
            return max(1, estimate.seconds)
        high = max(low, min(high, self.settings.abandon_grace_seconds // 3))
        base = estimate.seconds / 5 if estimate is not None else low + ahead / 50
        base = min(max(base, low), high)
        # uniform(0.8, 1.2) spelled out: the same draw without a Python-level call
        return max(1, round(base * (0.8 + 0.4 * self._rng.random())))

    def view(self, position: int, rejoined: bool = False) -> WaitView:
        ahead = position - self.state.serving - 1
        if ahead < 0:
            ahead = 0
        # paused: the outflow is zero for as long as the operator says, nobody can estimate it
        estimate = None if self.state.paused else self.estimator.estimate(ahead + 1)
        refresh = self.refresh_seconds(ahead, estimate)
        # tuple.__new__ skips NamedTuple's keyword handling: this runs on every poll
        view: WaitView = tuple.__new__(
            WaitView, (position, ahead, estimate, refresh, None, rejoined, self.state.paused)
        )
        return view

    def poll(self, ticket: Claims) -> WaitView | None:
        """Answer the common poll from memory: a ticket whose turn has not come yet.

        None means the visit needs :meth:`visit` (its turn came, a pre-queue ticket, or a
        first estimate to record in the ticket). Liveness marks go to the store once a tick.
        """
        position = ticket.position
        if ticket.prequeue_index or position <= self.state.serving:
            return None
        view = self.view(position)
        if ticket.estimate_seconds < 0 and view.estimate is not None:
            return None
        self._touches.add(position)
        return view

    def _prequeue_view(self, now: float) -> WaitView:
        opens_at = self.state.opens_at or now
        until = max(0.0, opens_at - now)
        # spread the first polls after the opening over a few seconds instead of one instant
        refresh = min(self.settings.max_refresh_seconds, until) + self._rng.uniform(1, 6)
        return WaitView(None, 0, None, max(1, math.ceil(refresh)), opens_at=opens_at)

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

    async def _join(
        self, vhash: bytes, now: float, *, rejoined: bool = False
    ) -> Waiting | Admitted:
        epoch = self._epoch(now)
        joined = int(now)
        if self.in_prequeue():
            index, position = await self.store.join_prequeue(epoch=epoch)
            if index:
                # a pre-queue ticket names its schedule in the otherwise unused admitted_at
                schedule = int(self.state.opens_at or 0)
                token = self._ticket(0, vhash, joined, -1, prequeue=(index, schedule))
                return Waiting(token, self._prequeue_view(now))
        else:
            position, through = await self.store.join(free_flow=not self.is_on(), epoch=epoch)
            if through:
                return self._issue_pass(position, vhash, joined, 0)
        view = self.view(position, rejoined=rejoined)
        estimate = view.estimate.seconds if view.estimate is not None else -1
        return Waiting(self._ticket(position, vhash, joined, estimate), view)

    async def _continue(self, ticket: Claims, vhash: bytes, now: float) -> Waiting | Admitted:
        position = ticket.position
        if ticket.prequeue_index and not position:
            state = self.state
            scheduled = int(state.opens_at) if state.opens_at is not None else -1
            if (
                ticket.admitted_at != scheduled  # a ticket of an earlier, cancelled schedule
                or state.prequeue_key is None
                or ticket.prequeue_index > state.prequeue_count
            ):
                if self.in_prequeue():
                    return Waiting(None, self._prequeue_view(now))
                return await self._join(vhash, now)  # a pre-queue that was cancelled
            shuffled = shuffled_index(
                state.prequeue_key, ticket.prequeue_index - 1, state.prequeue_count
            )
            position = state.prequeue_base + shuffled + 1
        if position <= self.state.serving:
            if await self.store.claim(position):
                self._observe_wait(ticket, now)
                return self._issue_pass(position, vhash, ticket.joined_at, ticket.estimate_seconds)
            return await self._join(vhash, now, rejoined=True)
        self._touches.add(position)
        view = self.view(position)
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
        actual = max(0.0, now - ticket.joined_at)
        metrics.ACTUAL_WAIT.labels(self.name).observe(actual)
        if ticket.estimate_seconds >= 0:
            metrics.ESTIMATED_WAIT.labels(self.name).observe(ticket.estimate_seconds)
            if actual > 0:
                error = abs(ticket.estimate_seconds - actual) / actual
                metrics.WAIT_ERROR.labels(self.name).observe(error)

    # operator controls -------------------------------------------------------------------

    async def refresh(self) -> RoomState:
        """Re-read the shared state without running the inlet (operators, status pages)."""
        self.state = await self.store.state(epochs=self._epochs(self.clock()))
        return self.state

    async def revoke(self, position: int) -> None:
        await self.store.revoke(position)
        version, revoked = await self.store.revoked()
        self._revoked, self._revoked_version_seen = revoked, version

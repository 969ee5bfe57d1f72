"""The tick: the one place that changes what this process knows about the room.

Once every ``tick_seconds`` (and on the operators' refresh and revoke) it sends the liveness
marks to the store, takes a fresh view of the shared state, opens a scheduled pre-queue when
its time comes, switches the room on and off in auto mode and runs the inlet. Requests read
:attr:`Tick.state` and :attr:`Tick.revoked` between ticks and never write them: a poll is
answered from memory, and two requests on one instance always see the same line.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import replace

from ..capacity import CapacitySignal
from ..types import Clock
from .activity import LIVENESS_EPOCHS, Activity
from .config import WaitingRoomSettings
from .estimator import OutflowEstimator
from .inlet import InletInputs, InletPolicy
from .journal import Entry, TickJournal
from .metrics import RoomMetrics
from .store import Controls, RoomState, RoomStore

log = logging.getLogger(__name__)


def empty_state() -> RoomState:
    return RoomState(
        tail=0, serving=0, mode="auto", auto_active=False, paused=False,
        fixed_rate_per_minute=None, admit_cap_per_minute=None, opens_at=None,
        prequeue_count=0, prequeue_base=0, prequeue_key=None, prequeue_opened_at=0.0,
        revoked_version=0, live_waiting=0, admitted_total=0, abandoned_total=0,
    )  # fmt: skip


def is_on(state: RoomState) -> bool:
    """Whether newcomers queue (True) or pass straight through (False)."""
    if state.mode == "off":
        return False
    if state.mode == "on" or state.auto_active:
        return True
    return state.opens_at is not None and state.prequeue_key is None


def in_prequeue(state: RoomState) -> bool:
    """Whether newcomers join the pre-queue: from the schedule until the tick that draws
    the shuffle, not until the opening time itself. Someone who arrives in the instant
    between the opening and that tick would otherwise take a place in the ordinary line,
    ahead of everybody who came early (seen in a lottery-opening run: 44-202 people)."""
    return state.mode != "off" and state.opens_at is not None and state.prequeue_key is None


class Tick:
    def __init__(
        self,
        settings: WaitingRoomSettings,
        store: RoomStore,
        capacity: CapacitySignal,
        activity: Activity,
        estimator: OutflowEstimator,
        inlet: InletPolicy,
        clock: Clock,
        metrics: RoomMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics  # see WaitingRoom
        self.name = settings.name
        self.store = store
        self.capacity = capacity
        self.activity = activity
        self.estimator = estimator
        self.inlet = inlet
        self.clock = clock
        self.state = empty_state()
        self.revoked: frozenset[int] = frozenset()
        self._revoked_version_seen = 0
        self._last_tick: float | None = None
        self._busy_seen = capacity.busy_seconds
        self._shed_seen = capacity.shed_total
        self._pressure_ticks = 0  # consecutive ticks on which requests were turned away
        # the batch being let in (see released): from this serving number, since this time
        self._release_from = 0
        self._release_at = -math.inf
        self._busy = 0.0  # mean requests in flight over the last tick
        self._holders_busy_seen = capacity.holders_busy_seconds
        self._holders_busy = 0.0  # ... of them, the requests of people the room let in
        self._holders_shed_seen = capacity.holders_shed_total
        self._drained_since: float | None = None
        self._tail_before = 0  # the line's tail as the previous tick read it (see _auto_switch)
        path = settings.tick_journal
        self.journal = TickJournal(path) if path is not None else None

    def planned_rate(self) -> float:
        """People a second the inlet means to let in now: an operator's fixed rate, else its
        own rate under the operator's cap; 0 while paused."""
        state = self.state
        if state.paused:
            return 0.0
        return self.inlet.pace(state.fixed_rate_per_minute, state.admit_cap_per_minute)

    def released(self, now: float) -> int:
        """The serving number as a visitor should see it at ``now``.

        A tick lets its batch in over the tick period, one place after another, not all at
        its start: the people whose turn came poll when it is due (the estimate tells them
        when), so a batch released at once brought them back together, as one burst of
        requests (60-90 people in the first moments of each second at the lab's
        election-night peak), and that burst was what admission control then refused.
        Spread out, the same number a second arrive as a steady stream. (Each instance
        spreads by its own tick: a visitor whose next poll goes to another instance may find
        their place let in there up to a period later than they were told.)
        """
        serving = self.state.serving
        start = self._release_from
        if start >= serving:
            return serving
        share = (now - self._release_at) / self.settings.tick_seconds
        if share >= 1.0:
            return serving
        return start + math.ceil((serving - start) * max(0.0, share))

    def release_time(self, position: int) -> float | None:
        """A moment by which :meth:`released` has reached ``position``, if the current batch
        holds it: the middle of its slot (at the slot's start it is not let in yet)."""
        serving, start = self.state.serving, self._release_from
        if position > serving or position <= start:
            return None
        share = (position - start - 0.5) / (serving - start)
        return self._release_at + share * self.settings.tick_seconds

    @property
    def next_at(self) -> float:
        """When this instance's next tick is due (by the tick period; a late loop runs it
        later)."""
        last = self._last_tick if self._last_tick is not None else self.clock()
        return last + self.settings.tick_seconds

    async def __call__(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self._last_tick) if self._last_tick is not None else 0.0
        self._measure_busy(elapsed)
        epochs = self.activity.epochs(now)
        await self.flush_touches(epochs[0])
        state = await self.store.state(epochs=epochs)
        if state.opens_at is not None and state.prequeue_key is None and now >= state.opens_at:
            await self.store.open_prequeue(secrets.token_bytes(16), now)
            state = await self.store.state(epochs=epochs)
        refusing, line_refused = self._turned_away()
        tail = state.tail
        state = await self._auto_switch(state, now, epochs, refusing)
        self._tail_before = tail
        self.activity.rotate(now)
        released = self.released(now)
        if is_on(state) and not in_prequeue(state):
            state = await self._run_inlet(state, now, elapsed, epochs, line_refused)
            # what this tick (and the other instances since) let in, over the next period
            self._release_from, self._release_at = min(released, state.serving), now
        elif in_prequeue(state):
            self._release_from = state.serving  # nobody is let in before the opening
            # nobody enters meanwhile, so there is no pace to follow: see expect_opening
            self.inlet.expect_opening(
                self.capacity.limit, self._busy, elapsed, self._holders_busy,
                arrival_seconds=self.activity.pending_window, waiting=state.prequeue_count,
            )  # fmt: skip
        else:
            self._release_from = state.serving  # free flow: nothing to spread
            # the pace people came in at while nobody waited is where the inlet starts when
            # the room turns on: the site was serving about that many (a little too many)
            self.inlet.follow(
                self.activity.claims_per_second(now), self._busy, elapsed, self._holders_busy
            )
        self._last_tick = now
        self.state = state
        if is_on(state):
            self.estimator.observe(
                now, state.serving, tail=state.tail, live=state.live_waiting,
                admitted=state.admitted_total,
            )  # fmt: skip
        else:
            # In free flow the serving number moves with arrivals, not with an inlet: a rate
            # measured then would promise the first people in line a wait far too short.
            self.estimator.reset()
        if self.journal is not None:
            self.journal.write(self.journal_entry(now))
        if state.revoked_version != self._revoked_version_seen:
            version, revoked = await self.store.revoked()
            self.revoked, self._revoked_version_seen = revoked, version
        self._export(state)

    def close(self) -> None:
        """The room stops: close what the tick holds open (its journal)."""
        if self.journal is not None:
            self.journal.close()

    def journal_entry(self, now: float) -> Entry:
        """One tick for the journal: the shared state as this tick left it, the inputs the
        inlet steered by, and the estimator's window."""
        state, capacity = self.state, self.capacity
        return {
            "time": round(now, 3),
            "on": is_on(state),
            "paused": state.paused,
            "tail": state.tail,
            "serving": state.serving,
            "live_waiting": state.live_waiting,
            "admitted_total": state.admitted_total,
            "abandoned_total": state.abandoned_total,
            "pace": self.planned_rate(),
            "limit": capacity.limit,
            "busy": self._busy,
            "holders_busy": self._holders_busy,
            "active_holders": self.activity.active_holders,
            "pending": self.activity.pending(now),
            "per_holder": self.inlet.per_holder,
            **self.estimator.figures(),
        }

    # operators -----------------------------------------------------------------------------

    async def refresh(self) -> RoomState:
        """Re-read the shared state without running the inlet (operators, status pages)."""
        self.state = await self.store.state(epochs=self.activity.epochs(self.clock()))
        if not is_on(self.state) or self.state.serving < self._release_from:
            self._release_from = self.state.serving  # off, or the line reset: no spread
        return self.state

    async def revoke(self, position: int) -> None:
        await self.store.revoke(position)
        version, revoked = await self.store.revoked()
        self.revoked, self._revoked_version_seen = revoked, version

    # the steps -----------------------------------------------------------------------------

    async def flush_touches(self, epoch: int) -> None:
        activity = self.activity
        if activity.touches:
            batch = activity.take_touches()
            try:
                await self.store.touch(batch, epoch=epoch, keep_epochs=LIVENESS_EPOCHS)
            except BaseException:
                activity.give_back(batch)
                raise

    def _measure_busy(self, elapsed: float) -> None:
        """Mean requests in flight over the ``elapsed`` seconds since the previous tick, all
        of them and those of the people the room let in (the instant counts when the clock
        has not moved, as in a test that ticks twice at one time)."""
        capacity = self.capacity
        busy, holders_busy = capacity.busy_seconds, capacity.holders_busy_seconds
        if elapsed > 0:
            self._busy = max(0.0, busy - self._busy_seen) / elapsed
            self._holders_busy = max(0.0, holders_busy - self._holders_busy_seen) / elapsed
        else:
            self._busy = float(capacity.in_flight)
            self._holders_busy = float(capacity.holders_in_flight)
        self._busy_seen, self._holders_busy_seen = busy, holders_busy

    def _turned_away(self) -> tuple[bool, bool]:
        """Whether admission control refused anyone since the previous tick, and whether it
        refused any of the people the room let in."""
        capacity = self.capacity
        shed, holders_shed = capacity.shed_total, capacity.holders_shed_total
        refused = (shed > self._shed_seen, holders_shed > self._holders_shed_seen)
        self._shed_seen, self._holders_shed_seen = shed, holders_shed
        return refused

    async def _auto_switch(
        self, state: RoomState, now: float, epochs: list[int], refusing: bool
    ) -> RoomState:
        """On after ``activate_seconds`` of people being turned away; off after the line has
        been drained, with headroom, for ``drain_seconds``.

        Why sustained refusals and not one saturated reading: a queue of a few requests for a
        few milliseconds is what a Poisson crowd at half capacity looks like, and admission
        control absorbs it; switching the room on for it made every newcomer wait a refresh
        at half load (seen in a crowd test, 12 s into the quiet minute). The room is for when
        admission control is refusing people tick after tick; the two thresholds, far apart
        in time, keep it from flapping.

        Drained means everyone who was in line at the previous tick has been let in since
        (or skipped as gone): nobody waits longer than about a tick. It is read from the
        shared line, so it holds for every instance alike, whatever each one's inlet would
        let in. Not "nobody in line": while the room is on, every newcomer queues until a
        tick lets them in, so with people still arriving the line is never empty, and the
        room stayed on for the rest of a busy evening with the site at 40 % (the lab's
        election night at about capacity: 20-60 people in line for 50 s, each waiting a tick
        and a poll for nothing). A paused line, a pre-queue and a freshly drawn one are never
        drained (the drawn places are all behind the previous tick's tail).

        Every instance decides for all of them, so an instance whose admission control is
        refusing people says so in the shared state (``pressed_at``, once a tick while it
        lasts), and none turns the room off until that is ``drain_seconds`` old: with one
        instance overloaded and another idle, the idle one switched the room off every 31 s
        and the overloaded one switched it on again a second later.
        """
        if state.mode != "auto":
            return state
        capacity = self.capacity
        pressed = refusing and capacity.saturated
        self._pressure_ticks = self._pressure_ticks + 1 if pressed else 0
        settings = self.settings
        activate_ticks = max(1, math.ceil(settings.activate_seconds / settings.tick_seconds))
        if pressed and state.auto_active:
            await self.store.update_controls(Controls(pressed_at=now))
        if capacity.saturated and (state.auto_active or self._pressure_ticks >= activate_ticks):
            self._drained_since = None
            if not state.auto_active:
                log.info("waiting room %s turns on: admission control saturated", self.name)
                await self.store.update_controls(Controls(auto_active=True))
                return replace(state, auto_active=True)
            return state
        if not state.auto_active or in_prequeue(state) or state.paused:
            self._drained_since = None
            return state
        headroom = self._busy < settings.target_utilisation * capacity.limit
        if state.serving < self._tail_before or not headroom:
            self._drained_since = None
            return state
        if self._drained_since is None:
            self._drained_since = now
        # drained here, and no instance refusing anyone, for drain_seconds
        if now - max(self._drained_since, state.pressed_at) >= settings.drain_seconds:
            log.info("waiting room %s turns off: line drained, site has headroom", self.name)
            await self.store.update_controls(
                Controls(auto_active=False, release_all=True, opens_at=-1)
            )
            self._drained_since = None
            return await self.store.state(epochs=epochs)
        return state

    async def _run_inlet(
        self, state: RoomState, now: float, elapsed: float, epochs: list[int], line_refused: bool
    ) -> RoomState:
        capacity = self.capacity
        activity = self.activity
        count = self.inlet.decide(
            InletInputs(
                limit=capacity.limit,
                busy=self._busy,
                holders_busy=self._holders_busy,
                line_refused=line_refused,
                active=activity.active_holders,
                pending=activity.pending(now),
                waiting=max(0, state.tail - state.serving),
                elapsed_seconds=elapsed,
                paused=state.paused,
                fixed_rate_per_minute=state.fixed_rate_per_minute,
                admit_cap_per_minute=state.admit_cap_per_minute,
            )
        )
        if count <= 0 or state.serving >= state.tail:
            return state
        # While the pre-queue's draw is fresh, its places stay alive for a grace: its people
        # learn their place only at their next poll and cannot have been seen there yet.
        keep_alive = (1, 0)
        if state.prequeue_key is not None and now < (
            state.prequeue_opened_at + self.settings.abandon_grace_seconds
        ):
            keep_alive = (state.prequeue_base + 1, state.prequeue_base + state.prequeue_count)
        result = await self.store.admit(
            count, epochs=epochs, keep_alive=keep_alive, scan_limit=4 * count + 10_000
        )
        activity.admitted(result.admitted, now)
        if self.metrics is not None:
            self.metrics.admitted.labels(self.name).inc(result.admitted)
            self.metrics.abandoned.labels(self.name).inc(result.skipped)
        return replace(
            state,
            serving=result.serving,
            admitted_total=state.admitted_total + result.admitted,
            abandoned_total=state.abandoned_total + result.skipped,
        )

    def _export(self, state: RoomState) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        metrics.waiting.labels(self.name).set(state.live_waiting)
        metrics.line_length.labels(self.name).set(state.waiting)
        metrics.active.labels(self.name).set(self.activity.active_holders)
        metrics.on.labels(self.name).set(1 if is_on(state) else 0)
        metrics.admitted_per_minute.labels(self.name).set(self.estimator.rate * 60)

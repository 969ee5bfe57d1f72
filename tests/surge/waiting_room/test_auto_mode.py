"""The room switching itself on and off (auto mode), and stopping cleanly."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from northbound.surge.waiting_room import (
    Admitted,
    Controls,
    PassSigner,
    Waiting,
    WaitingRoom,
    WaitingRoomSettings,
)
from northbound.surge.waiting_room.memory_store import InProcessStore
from tests.support.clock import FakeClock
from tests.support.waiting_room import (
    KEYS,
    FakeCapacity,
    Visitor,
    gather_early,
    make_room,
    make_store,
    schedule_opening,
)


async def test_auto_mode_turns_on_when_saturated_and_off_when_drained(
    store_factory: Any,
) -> None:
    clock = FakeClock()
    capacity = FakeCapacity(limit=10)
    room = make_room(store_factory(), clock, capacity, drain_seconds=30,
                     requests_per_session=1.0)  # fmt: skip
    await room.tick()
    newcomer = Visitor("free")
    assert isinstance(await newcomer.poll(room), Admitted)  # off: straight through, with a pass
    capacity.saturated = True  # and turning people away, three ticks running
    for _ in range(3):
        clock.advance(1)
        await room.tick()
    assert room.is_on()
    queued = Visitor("queued")
    assert isinstance(await queued.poll(room), Waiting)
    capacity.saturated = False
    capacity.in_flight = 2
    for _ in range(5):
        clock.advance(1)
        await room.tick()
        await queued.poll(room)
    assert queued.admitted
    for _ in range(40):
        clock.advance(1)
        await room.tick()
    assert not room.is_on()


async def test_auto_mode_turns_off_with_people_still_arriving() -> None:
    """Regression (the lab's election night at about capacity): once on, every newcomer
    queues until the next tick, so with people still arriving the line was never empty and
    the room stayed on for good, the site at 40 % and everyone waiting a tick and a poll. A
    line that the next tick clears, with headroom, for ``drain_seconds`` is drained."""
    capacity = FakeCapacity(limit=10)
    clock, room = await _auto_on(capacity, drain_seconds=30, requests_per_session=0.05)
    capacity.in_flight = 3  # headroom: the aim is 9 of 10
    waiting: list[Visitor] = []
    for second in range(60):
        clock.advance(1)
        await room.tick()
        if not room.is_on():
            break
        for visitor in waiting:
            await visitor.poll(room)  # their turn came on this tick
        waiting = [v for v in waiting if not v.admitted]
        for index in range(3):  # three newcomers a second, each in line until the next tick
            visitor = Visitor(f"n{second}_{index}")
            assert isinstance(await visitor.poll(room), Waiting)
            waiting.append(visitor)
    assert not room.is_on(), "the room stays on while the next tick clears the line"
    # the inlet's rate first grows to the arrivals (about 15 s), then 30 s drained
    assert second <= 50
    for visitor in waiting:  # whoever was in line when it turned off is let in
        assert isinstance(await visitor.poll(room), Admitted)


async def _auto_on(capacity: FakeCapacity, **settings: Any) -> tuple[FakeClock, WaitingRoom]:
    """A room in auto mode that admission control's refusals have just switched on."""
    clock = FakeClock()
    room = make_room(make_store("memory", None, ""), clock, capacity, **settings)
    await room.tick()
    capacity.saturated = True
    for _ in range(3):
        clock.advance(1)
        await room.tick()
    assert room.is_on()
    capacity.saturated = False
    return clock, room


@pytest.mark.parametrize("someone_waits", [True, False])
async def test_a_paused_line_is_never_drained(someone_waits: bool) -> None:
    """An operator's pause holds, even with nobody in line (who comes next must queue)."""
    clock, room = await _auto_on(FakeCapacity(limit=10), drain_seconds=5)
    await room.store.update_controls(Controls(paused=True))
    if someone_waits:
        assert isinstance(await Visitor("held").poll(room), Waiting)
    for _ in range(20):
        clock.advance(1)
        await room.tick()
    assert room.is_on()
    assert isinstance(await Visitor("newcomer").poll(room), Waiting)


async def test_a_line_the_next_tick_does_not_clear_keeps_the_room_on() -> None:
    """Headroom alone is not drained: at a fixed one a second, three newcomers a second
    build a line, and the room stays on for as long as they do."""
    capacity = FakeCapacity(limit=10, in_flight=1)
    clock, room = await _auto_on(capacity, drain_seconds=10, requests_per_session=0.05)
    await room.store.update_controls(Controls(fixed_rate_per_minute=60))
    for second in range(60):
        clock.advance(1)
        await room.tick()
        for index in range(3):
            await Visitor(f"n{second}_{index}").poll(room)
    assert room.is_on()
    assert room.state.live_waiting > 100


async def test_one_instance_refusing_keeps_the_room_on_for_all() -> None:
    """Two instances share a line; one stays overloaded while the other has headroom and
    sees the line cleared every tick. The idle one must not switch the room off (it did
    every 31 s, and the busy one on again a second later, each time letting the line go)."""
    clock = FakeClock()
    store = make_store("memory", None, "")
    busy, idle = FakeCapacity(limit=10), FakeCapacity(limit=10)
    rooms = [
        make_room(store, clock, capacity, drain_seconds=30, requests_per_session=0.05, seed=n)
        for n, capacity in enumerate((busy, idle))
    ]
    for room in rooms:
        await room.tick()
    busy.saturated = idle.saturated = True
    for _ in range(3):
        clock.advance(1)
        for room in rooms:
            await room.tick()
    idle.saturated, idle.in_flight = False, 3
    waiting: list[Visitor] = []
    for second in range(120):
        for room in rooms:
            clock.advance(0.5)
            await room.tick()
        assert all(room.is_on() for room in rooms), f"switched off at {second} s"
        for index, visitor in enumerate(waiting):
            await visitor.poll(rooms[index % 2])
        waiting = [v for v in waiting if not v.admitted]
        for index in range(3):
            visitor = Visitor(f"n{second}_{index}")
            await visitor.poll(rooms[index % 2])
            waiting.append(visitor)
    busy.saturated, busy.in_flight = False, 3  # the overload ends: off, 30 s later
    for _ in range(45):
        for room in rooms:
            clock.advance(0.5)
            await room.tick()
    assert not any(room.is_on() for room in rooms)


async def test_the_latest_refusal_stamp_stands_on_both_stores(store_factory: Any) -> None:
    """Instances with clocks a little apart stamp pressed_at in any order: a stamp older than
    the one stored does not move it back (the room would turn off too soon)."""
    store = store_factory()
    for stamp in (100.0, 130.5, 120.0):
        await store.update_controls(Controls(pressed_at=stamp))
    assert (await store.state(epochs=[0])).pressed_at == 130.5


async def test_a_drawn_pre_queue_is_not_released_by_an_old_drain() -> None:
    """The line had been empty with headroom for 20 s when an opening was scheduled; the
    pre-queue drawn at the opening is let in by the inlet, not all at once because the
    drain timer of before kept running."""
    clock, room = await _auto_on(FakeCapacity(limit=10), drain_seconds=30)
    for _ in range(20):
        clock.advance(1)
        await room.tick()
    await schedule_opening(room, clock.now + 600)
    early = await gather_early(room, 1000)
    clock.advance(601)
    await room.tick()  # the draw
    clock.advance(1)
    outcomes = [await visitor.poll(room) for visitor in early]
    assert room.is_on()
    assert sum(isinstance(outcome, Admitted) for outcome in outcomes) <= 500  # one tick's most


async def test_a_room_stops_even_when_its_store_swallows_the_cancel() -> None:
    """Regression: the Redis client can swallow a cancel that lands inside one of its calls;
    the tick task then went on ticking and a server's shutdown (two instances sharing a
    line, in the suite) waited for it until the thread was given up on."""

    class SwallowingStore(InProcessStore):
        busy = asyncio.Event()
        swallowed = False

        async def state(self, **kwargs: Any) -> Any:
            self.busy.set()
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                if self.swallowed:  # only the first, so the test can clean up if it fails
                    raise
                self.swallowed = True
                current = asyncio.current_task()
                assert current is not None
                current.uncancel()  # what the client does, in effect
            finally:
                self.busy.clear()
            return await super().state(**kwargs)

    settings = WaitingRoomSettings(tick_seconds=0.05)
    store = SwallowingStore()
    room = WaitingRoom(settings, store, PassSigner(settings.name, KEYS), clock=time.monotonic)
    await room.start()
    await asyncio.sleep(0.12)
    await store.busy.wait()  # stop while a tick is inside the store, where the cancel is lost
    stopping = asyncio.create_task(room.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)
    if not done:
        stopping.cancel()
        await asyncio.wait({stopping})
    assert store.swallowed and stopping in done

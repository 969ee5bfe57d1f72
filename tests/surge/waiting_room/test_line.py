"""The line on both stores: FIFO, one place per visitor, the closed-loop inlet, abandonment,
several instances sharing Redis, restarts."""

from __future__ import annotations

import random
from typing import Any

import pytest

from northbound.surge.waiting_room import (
    Admitted,
    Controls,
    Waiting,
    WaitingRoom,
)
from tests.support.clock import FakeClock
from tests.support.waiting_room import (
    FakeCapacity,
    Visitor,
    admitted_at,
    delete_keys,
    make_room,
    make_store,
    switch_on,
    tick_and_let_in,
)


async def test_positions_are_fifo_and_admission_follows_them(store_factory: Any) -> None:
    clock = FakeClock()
    room = make_room(store_factory(), clock)
    await switch_on(room, fixed_rate_per_minute=180)  # 3 per one-second tick
    visitors = [Visitor(f"v{i}") for i in range(30)]
    for visitor in visitors:
        await visitor.poll(room)
    assert [v.position for v in visitors] == list(range(1, 31))
    order: list[int] = []
    rng = random.Random(7)
    for _ in range(20):
        clock.advance(1)
        await room.tick()
        for visitor in rng.sample(visitors, len(visitors)):
            if not visitor.admitted:
                await visitor.poll(room)
                if visitor.admitted:
                    assert visitor.position is not None
                    order.append(visitor.position)
        if all(v.admitted for v in visitors):
            break
    assert all(v.admitted for v in visitors)
    assert sorted(order) == list(range(1, 31))  # each let in once, on the poll that found out
    # everyone admitted on one tick was ahead of everyone admitted on a later tick
    ticks = [admitted_at(v) for v in sorted(visitors, key=lambda v: v.position or 0)]
    assert ticks == sorted(ticks)
    assert room.state.admitted_total == 30


async def test_one_place_per_visitor(store_factory: Any) -> None:
    clock = FakeClock()
    room = make_room(store_factory(), clock)
    await switch_on(room)
    visitor, other = Visitor("same"), Visitor("other")
    await visitor.poll(room)
    first = visitor.position
    for _ in range(5):
        outcome = await visitor.poll(room)
        assert isinstance(outcome, Waiting)
        assert visitor.position == first
    await other.poll(room)
    await room.tick()
    assert room.state.tail == 2
    assert other.position == 2


async def test_inlet_fills_to_capacity_and_no_further(store_factory: Any) -> None:
    """Each holder keeps one request in flight and never leaves: the inlet fills the site to
    its aim (0.8 x 50), lets in a few past it on the ticks its load takes to show, passes the
    limit by what it lets in while its stop's smoothed load catches up (about a quarter here:
    13 people, each a request in flight for good; admission control queues the rest), no more
    however long it ticks, and nobody while paused."""
    clock = FakeClock()
    capacity = FakeCapacity(limit=50)
    room = make_room(
        store_factory(), clock, capacity, requests_per_session=1.0, target_utilisation=0.8,
        active_window_seconds=60,
    )  # fmt: skip
    await switch_on(room)
    visitors = [Visitor(f"c{i}") for i in range(120)]
    for _ in range(90):
        for visitor in visitors:
            await visitor.poll(room)
        capacity.held_by_holders(sum(v.admitted for v in visitors))
        clock.advance(1)
        await room.tick()
        assert room.state.serving <= 64
    assert room.state.serving >= 40
    serving = room.state.serving
    for _ in range(30):
        clock.advance(1)
        await room.tick()
    assert room.state.serving == serving  # full: nobody more, however long it ticks
    await room.store.update_controls(Controls(paused=True))
    clock.advance(200)
    await room.tick()
    assert room.state.serving == serving


async def test_inlet_learns_requests_per_holder_and_respects_cap(store_factory: Any) -> None:
    clock = FakeClock()
    capacity = FakeCapacity(limit=100, in_flight=0)
    room = make_room(store_factory(), clock, capacity, requests_per_session=1.0)
    await switch_on(room, admit_cap_per_minute=60)  # at most one a second
    visitors = [Visitor(f"l{i}") for i in range(50)]
    for visitor in visitors:
        await visitor.poll(room)
    for _ in range(20):
        clock.advance(1)
        await room.tick()
        for visitor in visitors:
            await visitor.poll(room)
    assert room.state.serving == 20  # the cap, not the 80 the loop would take
    capacity.held_by_holders(4)  # 20 holders cause 4 requests in flight: 0.2 each
    holders = [v for v in visitors if v.admitted]
    for _ in range(30):
        clock.advance(1)
        for holder in holders:  # each keeps using the site
            assert holder.claims is not None
            room.note_active(holder.claims)
        await room.tick()
    assert room.inlet.per_holder == pytest.approx(0.2, rel=0.15)


async def test_abandoned_places_are_skipped_without_stalling(store_factory: Any) -> None:
    clock = FakeClock()
    room = make_room(store_factory(), clock, abandon_grace_seconds=60)
    await switch_on(room, paused=True)
    visitors = [Visitor(f"a{i}") for i in range(10)]
    for visitor in visitors:
        await visitor.poll(room)
    gone = {visitors[2], visitors[3], visitors[7]}
    for _ in range(10):  # 100 s: more than 1.5 x grace
        clock.advance(10)
        for visitor in visitors:
            if visitor not in gone:
                await visitor.poll(room)
        await room.tick()
    assert room.state.live_waiting == 7
    await room.store.update_controls(Controls(paused=False, fixed_rate_per_minute=420))
    clock.advance(1)
    await room.tick()
    clock.advance(1)
    await room.tick()  # 7 per tick: the three gone are skipped in the same pass
    assert room.state.serving == 10
    assert room.state.abandoned_total == 3
    assert room.state.admitted_total == 7
    for visitor in visitors:
        outcome = await visitor.poll(room)
        if visitor in gone:
            assert isinstance(outcome, Waiting)
            assert outcome.view.rejoined and (visitor.position or 0) > 10
        else:
            assert isinstance(outcome, Admitted)


@pytest.mark.redis
async def test_two_instances_share_one_line(redis_url: str, redis_prefix: str) -> None:
    clock = FakeClock()
    prefix = redis_prefix.rstrip(":")
    first = make_room(make_store("redis", redis_url, prefix), clock, seed=1)
    second = make_room(make_store("redis", redis_url, prefix), clock, seed=2)
    rooms = [first, second]
    try:
        await switch_on(first, fixed_rate_per_minute=120)
        await second.tick()
        visitors = [Visitor(f"m{i}") for i in range(40)]
        for index, visitor in enumerate(visitors):  # joins alternate between instances
            await visitor.poll(rooms[index % 2])
        assert [v.position for v in visitors] == list(range(1, 41))
        admitted_positions: list[int] = []
        for step in range(40):
            clock.advance(1)
            await rooms[step % 2].tick()  # both inlets advance the same serving number
            await rooms[(step + 1) % 2].tick()
            await rooms[step % 2].refresh()  # each sees the other's tick by its next one
            for index, visitor in enumerate(visitors):
                if not visitor.admitted:
                    await visitor.poll(rooms[(index + step) % 2])
                    if visitor.admitted:
                        admitted_positions.append(visitor.position or 0)
            if all(v.admitted for v in visitors):
                break
        assert sorted(admitted_positions) == list(range(1, 41))
        assert len(set(admitted_positions)) == 40  # no place handed out twice
        ticks = [admitted_at(v) for v in visitors]
        assert ticks == sorted(ticks)
    finally:
        for room in rooms:
            await room.store.close()
        await delete_keys(redis_url, prefix)


@pytest.mark.redis
async def test_restarting_an_instance_loses_no_place(redis_url: str, redis_prefix: str) -> None:
    clock = FakeClock()
    prefix = redis_prefix.rstrip(":")
    room: WaitingRoom = make_room(make_store("redis", redis_url, prefix), clock)
    try:
        await switch_on(room)
        visitors = [Visitor(f"r{i}") for i in range(5)]
        for visitor in visitors:
            await visitor.poll(room)
        await room.tick()
        await room.store.close()  # the process goes away
        room = make_room(make_store("redis", redis_url, prefix), clock)  # and comes back
        await room.tick()
        assert room.state.tail == 5
        for visitor in visitors:
            before = visitor.position
            await visitor.poll(room)
            assert visitor.position == before
        await room.store.update_controls(Controls(fixed_rate_per_minute=300))
        clock.advance(1)
        await tick_and_let_in(room, clock)
        for visitor in visitors:
            assert isinstance(await visitor.poll(room), Admitted)
    finally:
        await room.store.close()
        await delete_keys(redis_url, prefix)

"""Helpers shared by the waiting-room tests: a fake capacity signal, rooms, the site keys."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from northbound.surge.waiting_room import (
    Admitted,
    Claims,
    Controls,
    KeyRing,
    PassSigner,
    Waiting,
    WaitingRoom,
    WaitingRoomSettings,
)
from northbound.surge.waiting_room.memory_store import InProcessStore
from northbound.surge.waiting_room.metrics import RoomMetrics
from northbound.surge.waiting_room.redis_store import RedisStore
from tests.support.clock import FakeClock

KEYS = KeyRing([("k2", b"second-key-current-0123456789"), ("k1", b"first-key-still-valid-0123456")])


@dataclass
class FakeCapacity:
    """Admission control as the room sees it, set by hand.

    ``busy_seconds`` integrates ``in_flight`` over the room's clock (wired by ``make_room``),
    and ``holders_busy_seconds`` the part of it that is the people the room let in
    (``holders_in_flight``); while ``saturated`` it is also turning people away (``shed_total``
    grows on each reading) unless ``shedding`` says otherwise. ``holders_shed_total`` is set
    by hand.
    """

    limit: int = 100
    in_flight: int = 0
    holders_in_flight: int = 0
    holders_shed_total: int = 0
    saturated: bool = False
    shedding: bool | None = None
    clock: FakeClock | None = None
    _busy: float = 0.0
    _holders_busy: float = 0.0
    _busy_at: float | None = None
    _shed: int = 0

    def _account(self) -> None:
        now = self.clock() if self.clock is not None else 0.0
        if self._busy_at is not None:
            elapsed = max(0.0, now - self._busy_at)
            self._busy += self.in_flight * elapsed
            self._holders_busy += self.holders_in_flight * elapsed
        self._busy_at = now

    @property
    def busy_seconds(self) -> float:
        self._account()
        return self._busy

    @property
    def holders_busy_seconds(self) -> float:
        self._account()
        return self._holders_busy

    @property
    def shed_total(self) -> int:
        if self.saturated if self.shedding is None else self.shedding:
            self._shed += 1
        return self._shed

    def held_by_holders(self, count: int) -> None:
        """``count`` requests in flight, every one of them a pass holder's: no open pages."""
        self.in_flight = self.holders_in_flight = count


def make_store(kind: str, redis_url: str | None = None, prefix: str = "") -> Any:
    if kind == "memory":
        return InProcessStore()
    assert redis_url is not None
    return RedisStore.from_url(redis_url, room="main", prefix=prefix.rstrip(":"), epoch_seconds=90)


def make_room(
    store: Any,
    clock: FakeClock,
    capacity: FakeCapacity | None = None,
    seed: int = 1,
    metrics: RoomMetrics | None = None,
    **overrides: Any,
) -> WaitingRoom:
    settings = WaitingRoomSettings(**overrides)
    signer = PassSigner(settings.name, KEYS)
    capacity = capacity or FakeCapacity()
    capacity.clock = clock
    return WaitingRoom(
        settings, store, signer, capacity=capacity, clock=clock,
        rng=random.Random(seed), metrics=metrics,
    )  # fmt: skip


async def switch_on(room: WaitingRoom, **controls: Any) -> None:
    await room.store.update_controls(Controls(mode="on", **controls))
    await room.tick()


class Visitor:
    """One browser: a cookie id and whatever ticket or pass the room gave it."""

    def __init__(self, name: str) -> None:
        self.id = (name + "_" * 22)[:22]
        self.token: str | None = None
        self.claims: Claims | None = None
        self.position: int | None = None
        self.admitted_at: float | None = None
        self.last: Admitted | Waiting | None = None

    async def poll(self, room: WaitingRoom) -> Admitted | Waiting:
        ticket = room.check_pass(self.token, self.id) if self.token else None
        outcome = await room.visit(ticket, self.id)
        if outcome.token is not None:
            self.token = outcome.token
        if isinstance(outcome, Admitted):
            self.claims = outcome.claims
            self.position = outcome.claims.position
            if self.admitted_at is None:
                self.admitted_at = room.clock()
        else:
            self.position = outcome.view.position
        self.last = outcome
        return outcome

    @property
    def admitted(self) -> bool:
        return isinstance(self.last, Admitted)


async def schedule_opening(room: WaitingRoom, opens_at: float) -> None:
    """An opening at ``opens_at`` with the room in auto mode, and the tick that reads it."""
    await room.store.update_controls(Controls(opens_at=opens_at, auto_active=True))
    await room.tick()


async def gather_early(room: WaitingRoom, count: int, prefix: str = "e") -> list[Visitor]:
    """``count`` people who come before the opening: each is held in the pre-queue (no place
    yet)."""
    early = [Visitor(f"{prefix}{index}") for index in range(count)]
    for visitor in early:
        outcome = await visitor.poll(room)
        assert isinstance(outcome, Waiting) and outcome.view.position is None
    return early


async def tick_and_let_in(room: WaitingRoom, clock: FakeClock) -> None:
    """One tick, then the tick period over which it lets its batch in: a batch is let in
    place by place over the period (``Tick.released``), so a poll at the tick's own instant
    finds none of it yet."""
    await room.tick()
    clock.advance(room.settings.tick_seconds)


async def delete_keys(redis_url: str, prefix: str) -> None:
    """Delete a test's Redis keys: every key holding ``prefix``."""
    client = aioredis.Redis.from_url(redis_url)
    async for key in client.scan_iter(match=f"*{prefix}*", count=1000):
        await client.delete(key)
    await client.aclose()


def admitted_at(visitor: Visitor) -> float:
    """When ``visitor`` was let in (failing the test if they were not)."""
    assert visitor.admitted_at is not None, "not admitted"
    return visitor.admitted_at

"""Helpers shared by the waiting-room tests: a fake clock, a fake capacity signal, rooms."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

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
from northbound.surge.waiting_room.redis_store import RedisStore

KEYS = KeyRing([("k2", b"second-key-current-0123456789"), ("k1", b"first-key-still-valid-0123456")])


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeCapacity:
    limit: int = 100
    in_flight: int = 0
    saturated: bool = False


def make_store(kind: str, redis_url: str | None = None, prefix: str = "") -> Any:
    if kind == "memory":
        return InProcessStore()
    assert redis_url is not None
    return RedisStore.from_url(redis_url, room="main", prefix=prefix.rstrip(":"), epoch_seconds=90)


def make_room(
    store: Any,
    clock: Clock,
    capacity: FakeCapacity | None = None,
    seed: int = 1,
    **overrides: Any,
) -> WaitingRoom:
    settings = WaitingRoomSettings(**overrides)
    signer = PassSigner(settings.name, KEYS)
    return WaitingRoom(
        settings, store, signer, capacity=capacity or FakeCapacity(), clock=clock,
        rng=random.Random(seed),
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

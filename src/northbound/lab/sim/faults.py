"""Faults on a schedule, and the shared store that can pause.

A schedule is written ``kind@start+seconds`` entries separated by commas, times in seconds
of the run::

    instance@600+120      instance 0 dies at 600 s and comes back (a fresh process) at 720 s
    instance2@600+120     the same for instance 2
    store@900+10          the shared store (Redis) stops answering for 10 s
    capacity@1200+600     every instance does half the work per second for 600 s

While the store is paused every call raises :class:`StoreUnavailable`, the way a Redis client
raises on a connection that does not answer; the room's tick and the gate handle that as they
do in production (keep the last view; fail open while the room is off, "unavailable" when on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from northbound.surge.waiting_room.memory_store import InProcessStore
from northbound.surge.waiting_room.store import AdmitResult, Controls, RoomState

_ENTRY = re.compile(r"^(instance|store|capacity)(\d*)@(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str  # instance | store | capacity
    start: float
    seconds: float
    target: int = 0  # which instance

    @property
    def end(self) -> float:
        return self.start + self.seconds

    def describe(self) -> str:
        what = {
            "instance": f"instance {self.target} down",
            "store": "shared store paused",
            "capacity": "capacity halved",
        }[self.kind]
        return f"{what} at {self.start:g} s for {self.seconds:g} s"


def parse_faults(text: str) -> tuple[Fault, ...]:
    faults = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(
                f"fault {entry!r}: expected kind@start+seconds, kind one of "
                "instance[N], store, capacity"
            )
        kind, target, start, seconds = match.groups()
        faults.append(Fault(kind, float(start), float(seconds), int(target or 0)))
    return tuple(sorted(faults, key=lambda f: f.start))


class StoreUnavailable(ConnectionError):
    """The shared store did not answer."""


class PausableStore:
    """An :class:`InProcessStore` shared by every simulated instance, that can stop
    answering for a while (the ``RoomStore`` protocol, delegated)."""

    def __init__(self, inner: InProcessStore | None = None) -> None:
        self.inner = inner or InProcessStore()
        self.paused = False

    def _check(self) -> None:
        if self.paused:
            raise StoreUnavailable("shared store paused")

    async def join(self, *, free_flow: bool, epoch: int) -> tuple[int, bool]:
        self._check()
        return await self.inner.join(free_flow=free_flow, epoch=epoch)

    async def join_prequeue(self, *, epoch: int) -> tuple[int, int]:
        self._check()
        return await self.inner.join_prequeue(epoch=epoch)

    async def open_prequeue(self, key: bytes, now: float) -> bool:
        self._check()
        return await self.inner.open_prequeue(key, now)

    async def admit(
        self, count: int, *, epochs: Sequence[int], keep_alive: tuple[int, int], scan_limit: int
    ) -> AdmitResult:
        self._check()
        return await self.inner.admit(
            count, epochs=epochs, keep_alive=keep_alive, scan_limit=scan_limit
        )

    async def claim(self, position: int) -> bool:
        self._check()
        return await self.inner.claim(position)

    async def touch(self, positions: Iterable[int], *, epoch: int, keep_epochs: int) -> None:
        self._check()
        await self.inner.touch(positions, epoch=epoch, keep_epochs=keep_epochs)

    async def state(self, *, epochs: Sequence[int]) -> RoomState:
        self._check()
        return await self.inner.state(epochs=epochs)

    async def update_controls(self, controls: Controls) -> None:
        self._check()
        await self.inner.update_controls(controls)

    async def revoke(self, position: int) -> None:
        self._check()
        await self.inner.revoke(position)

    async def revoked(self) -> tuple[int, frozenset[int]]:
        self._check()
        return await self.inner.revoked()

    async def close(self) -> None:
        await self.inner.close()

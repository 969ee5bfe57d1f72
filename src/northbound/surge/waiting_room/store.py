"""The room's shared state, behind one interface with two implementations.

Server-side state is deliberately tiny and never per-visitor record: two counters (``tail``,
the last place handed out, and ``serving``, the highest place let through), a few bitmaps
indexed by place (who polled in each recent liveness epoch, which places were skipped as
abandoned), the revoked-place set and the operator controls. What one visitor needs (their
place, join time, the estimate they were shown) travels in their signed ticket.

:class:`~.memory_store.InProcessStore` keeps it in the process (one instance);
:class:`~.redis_store.RedisStore` keeps it in Redis with every multi-key step one Lua script,
so any number of instances share one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RoomState:
    tail: int
    serving: int
    mode: str  # auto | on | off
    auto_active: bool
    paused: bool
    fixed_rate_per_minute: int | None
    admit_cap_per_minute: int | None
    opens_at: float | None  # scheduled opening (pre-queue until then)
    prequeue_count: int
    prequeue_base: int
    prequeue_key: bytes | None  # set once the pre-queue was shuffled at the opening
    prequeue_opened_at: float
    revoked_version: int
    live_waiting: int  # places behind the front whose holder polled within the grace period
    admitted_total: int
    abandoned_total: int
    pressed_at: float = 0.0  # when an instance last saw admission control refusing people

    @property
    def waiting(self) -> int:
        return max(0, self.tail - self.serving)


@dataclass(frozen=True, slots=True)
class AdmitResult:
    serving: int
    admitted: int
    skipped: int


@dataclass(frozen=True, slots=True)
class Controls:
    """Operator and auto-activation settings; ``None`` fields are left unchanged."""

    mode: str | None = None
    auto_active: bool | None = None
    paused: bool | None = None
    fixed_rate_per_minute: int | None = None  # -1 clears
    admit_cap_per_minute: int | None = None  # -1 clears
    opens_at: float | None = None  # -1 clears
    release_all: bool = False  # let everyone in line through (the room is turning off)
    pressed_at: float | None = None  # an instance is refusing people now (see Tick)


class RoomStore(Protocol):
    async def join(self, *, free_flow: bool, epoch: int) -> tuple[int, bool]:
        """Hand out the next place; the flag says whether it was let through at once.

        With ``free_flow`` (room off) the place is let through at once, but only if nobody is
        waiting: an instance with a stale view of the room can never jump the line.
        """
        ...

    async def join_prequeue(self, *, epoch: int) -> tuple[int, int]:
        """Before the opening: ``(arrival index + 1, 0)``; if it already opened ``(0, place)``."""
        ...

    async def open_prequeue(self, key: bytes, now: float) -> bool:
        """Reserve places for the early arrivals behind the current tail, once."""
        ...

    async def admit(
        self, count: int, *, epochs: Sequence[int], keep_alive: tuple[int, int], scan_limit: int
    ) -> AdmitResult:
        """Advance ``serving`` past up to ``count`` live places, skipping abandoned ones.

        A place is live when its bit is set in any of ``epochs``' bitmaps or it lies in the
        ``keep_alive`` range (early arrivals in their first grace period after the opening).
        """
        ...

    async def claim(self, position: int) -> bool:
        """True unless the place was skipped as abandoned."""
        ...

    async def touch(self, positions: Iterable[int], *, epoch: int, keep_epochs: int) -> None:
        """Mark places as seen in this liveness epoch (batched once per tick)."""
        ...

    async def state(self, *, epochs: Sequence[int]) -> RoomState: ...

    async def update_controls(self, controls: Controls) -> None: ...

    async def revoke(self, position: int) -> None: ...

    async def revoked(self) -> tuple[int, frozenset[int]]:
        """``(version, revoked places)``."""
        ...

    async def close(self) -> None: ...

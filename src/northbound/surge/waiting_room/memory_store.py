"""The room's state inside the process: the embedded default for one instance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .store import AdmitResult, Controls, RoomState


class Bitmap:
    """A growable bit set indexed by place: one bit per place, nothing per visitor."""

    __slots__ = ("_bytes",)

    def __init__(self) -> None:
        self._bytes = bytearray()

    def set(self, index: int) -> None:
        byte = index >> 3
        if byte >= len(self._bytes):
            # grow geometrically so a million joins cost a few dozen copies, not a million
            self._bytes.extend(bytes(max(byte + 1 - len(self._bytes), len(self._bytes) // 2)))
        self._bytes[byte] |= 1 << (index & 7)

    def get(self, index: int) -> bool:
        byte = index >> 3
        return byte < len(self._bytes) and bool(self._bytes[byte] >> (index & 7) & 1)

    def as_int(self) -> int:
        return int.from_bytes(self._bytes, "little")

    @property
    def nbytes(self) -> int:
        return len(self._bytes)


class InProcessStore:
    def __init__(self) -> None:
        self.tail = 0
        self.serving = 0
        self.mode = "auto"
        self.auto_active = False
        self.paused = False
        self.fixed_rate: int | None = None
        self.admit_cap: int | None = None
        self.opens_at: float | None = None
        self.prequeue_count = 0
        self.prequeue_base = 0
        self.prequeue_key: bytes | None = None
        self.prequeue_opened_at = 0.0
        self.revoked_set: set[int] = set()
        self.revoked_version = 0
        self.admitted_total = 0
        self.abandoned_total = 0
        self.pressed_at = 0.0
        self.skipped = Bitmap()
        self.seen: dict[int, Bitmap] = {}

    def _mark(self, position: int, epoch: int) -> None:
        bitmap = self.seen.get(epoch)
        if bitmap is None:
            bitmap = self.seen[epoch] = Bitmap()
        bitmap.set(position)

    async def join(self, *, free_flow: bool, epoch: int) -> tuple[int, bool]:
        self.tail += 1
        if free_flow and self.serving == self.tail - 1:
            self.serving = self.tail  # nobody waits: straight through
            return self.tail, True
        self._mark(self.tail, epoch)
        return self.tail, False

    async def join_prequeue(self, *, epoch: int) -> tuple[int, int]:
        if self.prequeue_key is not None:
            position, _ = await self.join(free_flow=False, epoch=epoch)
            return 0, position
        self.prequeue_count += 1
        return self.prequeue_count, 0

    async def open_prequeue(self, key: bytes, now: float) -> bool:
        if self.prequeue_key is not None:
            return False
        self.prequeue_key = key
        self.prequeue_base = self.tail
        self.prequeue_opened_at = now
        self.tail += self.prequeue_count
        return True

    async def admit(
        self, count: int, *, epochs: Sequence[int], keep_alive: tuple[int, int], scan_limit: int
    ) -> AdmitResult:
        bitmaps = [self.seen[e] for e in epochs if e in self.seen]
        low, high = keep_alive
        admitted = skipped = 0
        position = self.serving
        while admitted < count and position < self.tail and admitted + skipped < scan_limit:
            position += 1
            if low <= position <= high or any(b.get(position) for b in bitmaps):
                admitted += 1
            else:
                self.skipped.set(position)
                skipped += 1
        self.serving = position
        self.admitted_total += admitted
        self.abandoned_total += skipped
        return AdmitResult(position, admitted, skipped)

    async def claim(self, position: int) -> bool:
        return position <= self.serving and not self.skipped.get(position)

    async def touch(self, positions: Iterable[int], *, epoch: int, keep_epochs: int) -> None:
        for position in positions:
            self._mark(position, epoch)
        for old in [e for e in self.seen if e <= epoch - keep_epochs]:
            del self.seen[old]

    def _live_waiting(self, epochs: Sequence[int]) -> int:
        if self.tail <= self.serving:
            return 0
        union = 0
        for epoch in epochs:
            bitmap = self.seen.get(epoch)
            if bitmap is not None:
                union |= bitmap.as_int()
        union >>= self.serving + 1
        union &= (1 << (self.tail - self.serving)) - 1
        return union.bit_count()

    async def state(self, *, epochs: Sequence[int]) -> RoomState:
        return RoomState(
            tail=self.tail,
            serving=self.serving,
            mode=self.mode,
            auto_active=self.auto_active,
            paused=self.paused,
            fixed_rate_per_minute=self.fixed_rate,
            admit_cap_per_minute=self.admit_cap,
            opens_at=self.opens_at,
            prequeue_count=self.prequeue_count,
            prequeue_base=self.prequeue_base,
            prequeue_key=self.prequeue_key,
            prequeue_opened_at=self.prequeue_opened_at,
            revoked_version=self.revoked_version,
            live_waiting=self._live_waiting(epochs),
            admitted_total=self.admitted_total,
            abandoned_total=self.abandoned_total,
            pressed_at=self.pressed_at,
        )

    async def update_controls(self, controls: Controls) -> None:
        if controls.mode is not None:
            self.mode = controls.mode
        if controls.auto_active is not None:
            self.auto_active = controls.auto_active
        if controls.paused is not None:
            self.paused = controls.paused
        if controls.release_all:
            self.serving = self.tail
        if controls.pressed_at is not None:
            self.pressed_at = max(self.pressed_at, controls.pressed_at)
        if controls.fixed_rate_per_minute is not None:
            rate = controls.fixed_rate_per_minute
            self.fixed_rate = None if rate < 0 else rate
        if controls.admit_cap_per_minute is not None:
            cap = controls.admit_cap_per_minute
            self.admit_cap = None if cap < 0 else cap
        if controls.opens_at is not None:
            if controls.opens_at < 0:
                self.opens_at = None
            else:
                # a new schedule starts a new pre-queue
                self.opens_at = controls.opens_at
                self.prequeue_key = None
                self.prequeue_count = 0

    async def revoke(self, position: int) -> None:
        self.revoked_set.add(position)
        self.revoked_version += 1

    async def revoked(self) -> tuple[int, frozenset[int]]:
        return self.revoked_version, frozenset(self.revoked_set)

    async def close(self) -> None:
        return None

"""Where token buckets live: one interface, two implementations (in-process and Redis)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from northbound.surge.ratelimit.bucket import Decision, refill_and_take
from northbound.surge.types import MONOTONIC, Clock


class RateLimitStore(Protocol):
    async def take(self, key: str, *, rate: float, burst: int) -> Decision:
        """Take one token from bucket ``key`` (created full), refilled at ``rate`` per second."""
        ...

    async def close(self) -> None:
        """Release connections (at shutdown)."""
        ...


class MemoryStore:
    """Buckets in a dict, for a single process.

    At most ``max_keys`` buckets are kept; the least recently used is forgotten first, which
    only ever hands its owner a full bucket again, so a flood of addresses cannot exhaust memory.
    """

    def __init__(self, *, max_keys: int = 100_000, clock: Clock = MONOTONIC) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    async def close(self) -> None:
        """Nothing to release: the buckets go with the process."""

    async def take(self, key: str, *, rate: float, burst: int) -> Decision:
        now = self._clock()
        buckets = self._buckets
        state = buckets.get(key)
        if state is None:
            tokens, updated = float(burst), now
        else:
            tokens, updated = state
            buckets.move_to_end(key)  # most recently used last: the oldest go first
        tokens, allowed = refill_and_take(tokens, updated, now, rate=rate, burst=burst)
        buckets[key] = (tokens, now)
        if len(buckets) > self.max_keys:
            buckets.popitem(last=False)
        return Decision.from_tokens(allowed=allowed, tokens=tokens, rate=rate, burst=burst)

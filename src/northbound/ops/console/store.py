"""Where instances leave their snapshots and the console reads them back.

Two implementations of one interface, like the waiting room's store: in the process (the
embedded default: one instance, its own figures) and Redis (every instance writes, any
instance reads, so the console shows the whole site whichever instance serves it).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Protocol

from northbound.ops.console.snapshot import Snapshot

KEEP_SECONDS = 31 * 60  # the charts show 30 minutes


class ConsoleStore(Protocol):
    async def publish(self, snapshot: Snapshot) -> None:
        """Append one instance's snapshot (old ones fall off after ``KEEP_SECONDS``)."""

    async def series(self, now: float) -> dict[str, list[Snapshot]]:
        """Every instance seen within ``KEEP_SECONDS``: its snapshots, oldest first."""

    async def ping(self) -> str:
        """``ok``, ``not used`` or what went wrong (for the console's Redis line)."""

    async def close(self) -> None: ...


class MemoryConsoleStore:
    """One process's snapshots (embedded default; with ``--workers`` each worker its own)."""

    def __init__(self, capacity: int = 2000) -> None:
        self._series: dict[str, deque[Snapshot]] = {}
        self._capacity = capacity

    async def publish(self, snapshot: Snapshot) -> None:
        self._series.setdefault(snapshot.instance, deque(maxlen=self._capacity)).append(snapshot)

    async def series(self, now: float) -> dict[str, list[Snapshot]]:
        return {
            name: [s for s in kept if now - s.at <= KEEP_SECONDS]
            for name, kept in self._series.items()
            if kept and now - kept[-1].at <= KEEP_SECONDS
        }

    async def ping(self) -> str:
        return "not used"

    async def close(self) -> None:
        return None


class RedisConsoleStore:
    """Per instance a capped list of JSON snapshots, plus a sorted set of who was seen when."""

    def __init__(self, url: str, prefix: str = "nb:console", per_instance: int = 400) -> None:
        import redis.asyncio as redis

        # Short timeouts: the console must answer "Redis is down", not hang with it.
        self._redis = redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix
        self._per_instance = per_instance

    def _key(self, instance: str) -> str:
        return f"{self._prefix}:series:{instance}"

    async def publish(self, snapshot: Snapshot) -> None:
        key = self._key(snapshot.instance)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(snapshot.to_dict(), separators=(",", ":")))
            pipe.ltrim(key, -self._per_instance, -1)
            pipe.expire(key, KEEP_SECONDS)
            pipe.zadd(f"{self._prefix}:instances", {snapshot.instance: snapshot.at})
            pipe.zremrangebyscore(f"{self._prefix}:instances", "-inf", snapshot.at - KEEP_SECONDS)
            await pipe.execute()

    async def series(self, now: float) -> dict[str, list[Snapshot]]:
        names = await self._redis.zrangebyscore(
            f"{self._prefix}:instances", now - KEEP_SECONDS, "+inf"
        )
        result: dict[str, list[Snapshot]] = {}
        for raw_name in names:
            name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
            rows = await self._redis.lrange(self._key(name), 0, -1)
            kept = [Snapshot.from_dict(json.loads(row)) for row in rows]
            kept = [s for s in kept if now - s.at <= KEEP_SECONDS]
            if kept:
                result[name] = kept
        return result

    async def ping(self) -> str:
        try:
            await self._redis.ping()
        except Exception as error:  # any failure is a state to show, never a 500
            return f"unreachable ({type(error).__name__})"
        return "ok"

    async def close(self) -> None:
        await self._redis.aclose()


def store_for(redis_url: str, prefix: str = "nb:console") -> ConsoleStore:
    return RedisConsoleStore(redis_url, prefix) if redis_url else MemoryConsoleStore()

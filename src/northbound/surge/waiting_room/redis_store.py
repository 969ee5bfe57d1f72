"""The room's state in Redis: any number of instances share one line.

Every step that reads and writes more than one value is one Lua script, so two instances can
never hand out the same place or admit past each other. All keys of a room share one hash tag
(``{prefix:room}``) so the scripts also run on Redis Cluster.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from redis.asyncio import Redis

from .store import AdmitResult, Controls, RoomState

_JOIN = """
local pos = redis.call('HINCRBY', KEYS[1], 'tail', 1)
local serving = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
if ARGV[1] == '1' and serving == pos - 1 then
  redis.call('HSET', KEYS[1], 'serving', pos)
  return {pos, 1}
end
redis.call('SETBIT', KEYS[2], pos, 1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {pos, 0}
"""

_JOIN_PREQUEUE = """
if redis.call('HEXISTS', KEYS[1], 'pq_key') == 1 then
  local pos = redis.call('HINCRBY', KEYS[1], 'tail', 1)
  redis.call('SETBIT', KEYS[2], pos, 1)
  redis.call('EXPIRE', KEYS[2], ARGV[1])
  return {0, pos}
end
return {redis.call('HINCRBY', KEYS[1], 'pq_count', 1), 0}
"""

_OPEN_PREQUEUE = """
if redis.call('HEXISTS', KEYS[1], 'pq_key') == 1 then return 0 end
local tail = tonumber(redis.call('HGET', KEYS[1], 'tail') or '0')
local count = tonumber(redis.call('HGET', KEYS[1], 'pq_count') or '0')
redis.call('HSET', KEYS[1], 'pq_key', ARGV[1], 'pq_base', tail, 'pq_opened_at', ARGV[2],
           'tail', tail + count)
return 1
"""

_ADMIT = """
local serving = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
local tail = tonumber(redis.call('HGET', KEYS[1], 'tail') or '0')
local count, low, high, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
                                tonumber(ARGV[4])
local admitted, skipped = 0, 0
while admitted < count and serving < tail and admitted + skipped < limit do
  serving = serving + 1
  local live = serving >= low and serving <= high
  local i = 3
  while (not live) and i <= #KEYS do
    if redis.call('GETBIT', KEYS[i], serving) == 1 then live = true end
    i = i + 1
  end
  if live then
    admitted = admitted + 1
  else
    redis.call('SETBIT', KEYS[2], serving, 1)
    skipped = skipped + 1
  end
end
redis.call('HSET', KEYS[1], 'serving', serving)
redis.call('HINCRBY', KEYS[1], 'admitted_total', admitted)
redis.call('HINCRBY', KEYS[1], 'abandoned_total', skipped)
return {serving, admitted, skipped}
"""

_CLAIM = """
local serving = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
local pos = tonumber(ARGV[1])
if pos > serving then return 0 end
if redis.call('GETBIT', KEYS[2], pos) == 1 then return 0 end
return 1
"""

_TOUCH = """
for i = 2, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return #ARGV - 1
"""

_STATE = """
local fields = redis.call('HGETALL', KEYS[1])
local state = {}
for i = 1, #fields, 2 do state[fields[i]] = fields[i + 1] end
local serving = tonumber(state['serving'] or '0')
local tail = tonumber(state['tail'] or '0')
local live = 0
if tail > serving and #KEYS > 2 then
  local sources = {}
  for i = 3, #KEYS do sources[#sources + 1] = KEYS[i] end
  redis.call('BITOP', 'OR', KEYS[2], unpack(sources))
  live = redis.call('BITCOUNT', KEYS[2], serving + 1, tail, 'BIT')
  redis.call('DEL', KEYS[2])
end
fields[#fields + 1] = 'live_waiting'
fields[#fields + 1] = tostring(live)
return fields
"""

_CONTROLS = """
for i = 1, #ARGV, 2 do
  local name, value = ARGV[i], ARGV[i + 1]
  if name == 'release_all' then
    redis.call('HSET', KEYS[1], 'serving', redis.call('HGET', KEYS[1], 'tail') or '0')
  elseif name == 'pressed_at' then  -- the latest stamp stands, whoever writes last
    if tonumber(value) > tonumber(redis.call('HGET', KEYS[1], name) or '0') then
      redis.call('HSET', KEYS[1], name, value)
    end
  elseif value == '' then
    redis.call('HDEL', KEYS[1], name)
  else
    redis.call('HSET', KEYS[1], name, value)
    if name == 'opens_at' then redis.call('HDEL', KEYS[1], 'pq_key', 'pq_count') end
  end
end
return 1
"""

_REVOKE = """
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'revoked_version', 1)
"""

_REVOKED = """
return {redis.call('HGET', KEYS[1], 'revoked_version') or '0', redis.call('SMEMBERS', KEYS[2])}
"""

_TOUCH_CHUNK = 5000


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    def __init__(self, client: Redis, *, room: str, prefix: str, epoch_seconds: float = 90) -> None:
        self._client = client
        tag = f"{{{prefix}:{room}}}"
        self._state_key = f"{tag}:state"
        self._skipped_key = f"{tag}:skipped"
        self._revoked_key = f"{tag}:revoked"
        self._tmp_key = f"{tag}:tmp:"
        self._seen_prefix = f"{tag}:seen:"
        self.key_pattern = f"{tag}:*"
        self._epoch_seconds = epoch_seconds
        self._join = client.register_script(_JOIN)
        self._join_prequeue = client.register_script(_JOIN_PREQUEUE)
        self._open_prequeue = client.register_script(_OPEN_PREQUEUE)
        self._admit = client.register_script(_ADMIT)
        self._claim = client.register_script(_CLAIM)
        self._touch = client.register_script(_TOUCH)
        self._state = client.register_script(_STATE)
        self._controls = client.register_script(_CONTROLS)
        self._revoke = client.register_script(_REVOKE)
        self._revoked = client.register_script(_REVOKED)

    @classmethod
    def from_url(cls, url: str, *, room: str, prefix: str, epoch_seconds: float) -> RedisStore:
        client = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        return cls(client, room=room, prefix=prefix, epoch_seconds=epoch_seconds)

    def _seen(self, epoch: int) -> str:
        return f"{self._seen_prefix}{epoch}"

    def _ttl(self, keep_epochs: int = 4) -> int:
        return int(self._epoch_seconds * (keep_epochs + 1)) + 1

    async def join(self, *, free_flow: bool, epoch: int) -> tuple[int, bool]:
        keys = [self._state_key, self._seen(epoch)]
        position, through = await self._join(keys=keys, args=[int(free_flow), self._ttl()])
        return int(position), bool(int(through))

    async def join_prequeue(self, *, epoch: int) -> tuple[int, int]:
        keys = [self._state_key, self._seen(epoch)]
        index, position = await self._join_prequeue(keys=keys, args=[self._ttl()])
        return int(index), int(position)

    async def open_prequeue(self, key: bytes, now: float) -> bool:
        opened = await self._open_prequeue(keys=[self._state_key], args=[key.hex(), repr(now)])
        return bool(int(opened))

    async def admit(
        self, count: int, *, epochs: Sequence[int], keep_alive: tuple[int, int], scan_limit: int
    ) -> AdmitResult:
        keys = [self._state_key, self._skipped_key, *(self._seen(e) for e in epochs)]
        args = [count, keep_alive[0], keep_alive[1], scan_limit]
        serving, admitted, skipped = await self._admit(keys=keys, args=args)
        return AdmitResult(int(serving), int(admitted), int(skipped))

    async def claim(self, position: int) -> bool:
        keys = [self._state_key, self._skipped_key]
        return bool(int(await self._claim(keys=keys, args=[position])))

    async def touch(self, positions: Iterable[int], *, epoch: int, keep_epochs: int) -> None:
        batch = list(positions)
        ttl = self._ttl(keep_epochs)
        for start in range(0, len(batch), _TOUCH_CHUNK):
            chunk = batch[start : start + _TOUCH_CHUNK]
            await self._touch(keys=[self._seen(epoch)], args=[ttl, *chunk])

    async def state(self, *, epochs: Sequence[int]) -> RoomState:
        tmp = self._tmp_key + secrets.token_hex(8)
        keys = [self._state_key, tmp, *(self._seen(e) for e in epochs)]
        flat = await self._state(keys=keys)
        raw = {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}

        def number(name: str) -> int:
            return int(raw.get(name, "0"))

        def optional(name: str) -> int | None:
            return int(raw[name]) if name in raw else None

        opens_at = raw.get("opens_at")
        key = raw.get("pq_key")
        return RoomState(
            tail=number("tail"),
            serving=number("serving"),
            mode=raw.get("mode", "auto"),
            auto_active=raw.get("auto_active") == "1",
            paused=raw.get("paused") == "1",
            fixed_rate_per_minute=optional("fixed_rate"),
            admit_cap_per_minute=optional("admit_cap"),
            opens_at=float(opens_at) if opens_at is not None else None,
            prequeue_count=number("pq_count"),
            prequeue_base=number("pq_base"),
            prequeue_key=bytes.fromhex(key) if key is not None else None,
            prequeue_opened_at=float(raw.get("pq_opened_at", "0")),
            revoked_version=number("revoked_version"),
            live_waiting=number("live_waiting"),
            admitted_total=number("admitted_total"),
            abandoned_total=number("abandoned_total"),
            pressed_at=float(raw.get("pressed_at", "0")),
        )

    async def update_controls(self, controls: Controls) -> None:
        args: list[str] = []
        if controls.mode is not None:
            args += ["mode", controls.mode]
        if controls.auto_active is not None:
            args += ["auto_active", "1" if controls.auto_active else "0"]
        if controls.paused is not None:
            args += ["paused", "1" if controls.paused else "0"]
        if controls.fixed_rate_per_minute is not None:
            rate = controls.fixed_rate_per_minute
            args += ["fixed_rate", "" if rate < 0 else str(rate)]
        if controls.admit_cap_per_minute is not None:
            cap = controls.admit_cap_per_minute
            args += ["admit_cap", "" if cap < 0 else str(cap)]
        if controls.opens_at is not None:
            args += ["opens_at", "" if controls.opens_at < 0 else repr(controls.opens_at)]
        if controls.release_all:
            args += ["release_all", "1"]
        if controls.pressed_at is not None:
            args += ["pressed_at", repr(controls.pressed_at)]
        if args:
            await self._controls(keys=[self._state_key], args=args)

    async def revoke(self, position: int) -> None:
        await self._revoke(keys=[self._state_key, self._revoked_key], args=[position])

    async def revoked(self) -> tuple[int, frozenset[int]]:
        version, members = await self._revoked(keys=[self._state_key, self._revoked_key])
        return int(version), frozenset(int(m) for m in members)

    async def delete_all(self) -> None:
        """Remove every key of this room (tests, benchmarks, decommissioning)."""
        async for key in self._client.scan_iter(match=self.key_pattern, count=1000):
            await self._client.delete(key)

    async def close(self) -> None:
        await self._client.aclose()

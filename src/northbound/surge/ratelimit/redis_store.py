"""Token buckets in Redis, shared by every instance; one atomic Lua script per request."""

from __future__ import annotations

import asyncio
import logging
import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from northbound.surge.ratelimit.bucket import Decision
from northbound.surge.ratelimit.metrics import RateLimitMetrics

log = logging.getLogger(__name__)

# KEYS[1] = bucket; ARGV = rate, burst, ttl_ms, now ("" = the Redis server's clock).
# The bucket is a hash {t = tokens, ts = last update}. Floats travel as strings because Redis
# truncates Lua numbers to integers on the way out.
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[4])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {allowed, string.format('%.6f', tokens)}
"""


class RedisStore:
    """Buckets under ``prefix`` in Redis. Fails open: if Redis errs or is slower than the
    client's socket timeout, the request is let through, the failure counted (in
    ``<namespace>_surge_rate_limit_store_failures_total`` when ``metrics`` are given) and
    logged at most once a minute.

    Time comes from the Redis server so instances with skewed clocks agree; tests pass their
    own ``now`` through :meth:`take_at`.
    """

    def __init__(
        self, client: Redis, *, prefix: str, metrics: RateLimitMetrics | None = None
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._failures = metrics.store_failures if metrics is not None else None
        self._script = client.register_script(TAKE_SCRIPT)
        self._last_logged = -math.inf

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str,
        timeout: float = 0.25,
        metrics: RateLimitMetrics | None = None,
    ) -> RedisStore:
        client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return cls(client, prefix=prefix, metrics=metrics)

    async def take(self, key: str, *, rate: float, burst: int) -> Decision:
        return await self.take_at(key, rate=rate, burst=burst, now=None)

    async def take_at(self, key: str, *, rate: float, burst: int, now: float | None) -> Decision:
        ttl_ms = math.ceil(burst / rate * 1000) + 1000
        try:
            allowed, tokens = await self._script(
                keys=[self.prefix + key],
                args=[repr(rate), burst, ttl_ms, "" if now is None else repr(now)],
            )
        except (TimeoutError, RedisError, OSError) as error:
            if self._failures is not None:
                self._failures.inc()
            loop_time = asyncio.get_running_loop().time()
            if loop_time - self._last_logged > 60:
                self._last_logged = loop_time
                log.warning("rate-limit store unavailable, letting requests through: %s", error)
            return Decision.unchecked(burst)
        return Decision.from_tokens(
            allowed=bool(int(allowed)), tokens=float(tokens), rate=rate, burst=burst
        )

    async def close(self) -> None:
        await self.client.aclose()

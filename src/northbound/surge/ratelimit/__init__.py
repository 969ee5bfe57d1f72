"""Per-client token-bucket rate limits with an in-process or a Redis store."""

from northbound.surge.ratelimit.bucket import Decision
from northbound.surge.ratelimit.client_key import ClientKey
from northbound.surge.ratelimit.config import RateLimitSettings, RouteClassSettings
from northbound.surge.ratelimit.middleware import RateLimitMiddleware
from northbound.surge.ratelimit.redis_store import RedisStore
from northbound.surge.ratelimit.routes import RouteClass
from northbound.surge.ratelimit.store import MemoryStore, RateLimitStore

__all__ = [
    "ClientKey",
    "Decision",
    "MemoryStore",
    "RateLimitMiddleware",
    "RateLimitSettings",
    "RateLimitStore",
    "RedisStore",
    "RouteClass",
    "RouteClassSettings",
]

"""Token buckets on both stores, the client key, and the rate-limit middleware."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from northbound.surge.ratelimit import (
    ClientKey,
    Decision,
    MemoryStore,
    RateLimitMiddleware,
    RateLimitSettings,
    RedisStore,
    RouteClass,
)
from northbound.surge.ratelimit.client_key import _normalise, _normalise_other
from northbound.surge.ratelimit.metrics import rate_limit_metrics
from northbound.surge.ratelimit.store import RateLimitStore
from northbound.surge.shed_page import Variant
from tests.support.asgi import http_scope, ok_app, run
from tests.support.clock import FakeClock
from tests.support.services import REDIS_TEST_URL


class ClockedRedisStore:
    """The Redis store driven by the test's clock instead of the server's."""

    def __init__(self, store: RedisStore, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock

    async def take(self, key: str, *, rate: float, burst: int) -> Decision:
        return await self.store.take_at(key, rate=rate, burst=burst, now=self.clock())

    async def close(self) -> None:
        """Nothing to release: ``open_redis_store`` closes the store it opened."""


@contextlib.asynccontextmanager
async def open_redis_store() -> AsyncIterator[RedisStore]:
    """A store under a prefix of its own, deleted afterwards."""
    prefix = f"test:ratelimit:{uuid.uuid4().hex}:"
    store = RedisStore(Redis.from_url(REDIS_TEST_URL), prefix=prefix)
    try:
        yield store
    finally:
        keys = [key async for key in store.client.scan_iter(match=prefix + "*")]
        if keys:
            await store.client.delete(*keys)
        await store.close()


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisStore]:
    async with open_redis_store() as store:
        yield store


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def clocked_store(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[RateLimitStore, FakeClock]]:
    clock = FakeClock(1_700_000_000.0)
    if request.param == "memory":
        yield MemoryStore(clock=clock), clock
        return
    async with open_redis_store() as store:
        yield ClockedRedisStore(store, clock), clock


# Buckets on both stores ------------------------------------------------------------------------
async def test_bucket_allows_a_burst_then_refuses(
    clocked_store: tuple[RateLimitStore, FakeClock],
) -> None:
    store, _ = clocked_store
    decisions = [await store.take("client-a", rate=2.0, burst=5) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    refused = decisions[-1]
    assert (refused.limit, refused.retry_after, refused.reset) == (5, 1, 3)
    assert decisions[0].reset == 1  # one token short of full at 2 tokens/s


async def test_bucket_refills_at_its_rate_up_to_the_burst(
    clocked_store: tuple[RateLimitStore, FakeClock],
) -> None:
    store, clock = clocked_store
    for _ in range(3):
        await store.take("client-b", rate=1.0, burst=3)
    assert not (await store.take("client-b", rate=1.0, burst=3)).allowed
    clock.now += 1.0
    assert (await store.take("client-b", rate=1.0, burst=3)).allowed
    assert not (await store.take("client-b", rate=1.0, burst=3)).allowed
    clock.now += 100.0  # a long rest refills to the burst, no more
    assert [(await store.take("client-b", rate=1.0, burst=3)).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


async def test_buckets_are_per_key_and_a_backwards_clock_refills_nothing(
    clocked_store: tuple[RateLimitStore, FakeClock],
) -> None:
    store, clock = clocked_store
    assert (await store.take("one", rate=1.0, burst=1)).allowed
    assert (await store.take("two", rate=1.0, burst=1)).allowed
    clock.now -= 50.0
    assert not (await store.take("one", rate=1.0, burst=1)).allowed


def test_decision_arithmetic() -> None:
    refused = Decision.from_tokens(allowed=False, tokens=0.25, rate=0.5, burst=10)
    assert (refused.retry_after, refused.reset, refused.remaining) == (2, 20, 0)
    allowed = Decision.from_tokens(allowed=True, tokens=9.0, rate=0.5, burst=10)
    assert (allowed.retry_after, allowed.reset, allowed.remaining) == (0, 2, 9)


async def test_memory_store_forgets_least_recently_used_buckets() -> None:
    store = MemoryStore(max_keys=2, clock=FakeClock(1_700_000_000.0))
    await store.take("a", rate=1.0, burst=1)
    await store.take("b", rate=1.0, burst=1)
    await store.take("a", rate=1.0, burst=1)  # refused, but now most recently used
    await store.take("c", rate=1.0, burst=1)  # evicts "b"
    assert len(store) == 2
    assert (await store.take("b", rate=1.0, burst=1)).allowed
    assert not (await store.take("c", rate=1.0, burst=1)).allowed


@pytest.mark.redis
async def test_redis_script_is_atomic_under_concurrency(redis_store: RedisStore) -> None:
    decisions = await asyncio.gather(
        *(redis_store.take("crowd", rate=0.001, burst=10) for _ in range(60))
    )
    assert sum(d.allowed for d in decisions) == 10
    ttl = await redis_store.client.pttl(redis_store.prefix + "crowd")
    assert 0 < ttl <= 10_000 * 1000 + 1000


@pytest.mark.redis
async def test_redis_store_uses_server_time(redis_store: RedisStore) -> None:
    first = await redis_store.take("server-time", rate=1000.0, burst=1)
    await asyncio.sleep(0.005)  # 1000 tokens/s: 5 ms of real server time refills the bucket
    second = await redis_store.take("server-time", rate=1000.0, burst=1)
    assert first.allowed and second.allowed


def failures() -> float:
    value = REGISTRY.get_sample_value("test_surge_rate_limit_store_failures_total")
    return value or 0.0


async def test_redis_failure_fails_open_and_is_counted() -> None:
    """Counted under the namespace the site hands in (``test`` here, ``northbound`` on the
    site), so the figure's name is the site's and surge never spells it."""
    store = RedisStore.from_url(  # nothing listens there
        "redis://127.0.0.1:1/0", prefix="rl:", timeout=0.2, metrics=rate_limit_metrics("test")
    )
    before = failures()
    try:
        decision = await store.take("anyone", rate=1.0, burst=3)
    finally:
        await store.close()
    assert decision.allowed and decision.degraded
    assert failures() == before + 1


# Client key ------------------------------------------------------------------------------------
def test_client_key_ignores_forwarded_header_unless_configured() -> None:
    forged = [(b"x-forwarded-for", b"203.0.113.9")]
    assert ClientKey()(http_scope(headers=forged)) == "192.0.2.10"
    key = ClientKey("X-Forwarded-For", trusted_proxies=["192.0.2.0/24"])
    assert key(http_scope(headers=forged)) == "203.0.113.9"
    assert key(http_scope(headers=forged, client="198.51.100.1")) == "198.51.100.1"


def test_client_key_counts_hops_from_the_right_and_rejects_junk() -> None:
    key = ClientKey("x-forwarded-for", hops=2)
    chain = [(b"x-forwarded-for", b"1.1.1.1, 203.0.113.9"), (b"x-forwarded-for", b"10.0.0.2")]
    assert key(http_scope(headers=chain)) == "203.0.113.9"
    assert key(http_scope(headers=[(b"x-forwarded-for", b"10.0.0.2")])) == "192.0.2.10"
    junk = [(b"x-forwarded-for", b"<script>, nonsense")]
    assert key(http_scope(headers=junk)) == "192.0.2.10"


def test_client_key_groups_ipv6_by_64() -> None:
    key = ClientKey()
    one = key(http_scope(client="2001:db8:1:2::1"))
    assert one == key(http_scope(client="2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert key(http_scope(client="::ffff:192.0.2.7")) == "192.0.2.7"


# Middleware ------------------------------------------------------------------------------------
def middleware(store: RateLimitStore, **kwargs: Any) -> RateLimitMiddleware:
    classes = [
        RouteClass("submit", "/", rate=1.0, burst=1, methods=frozenset({"POST"})),
        RouteClass("page", "/", rate=1.0, burst=2),
    ]
    return RateLimitMiddleware(ok_app, store=store, route_classes=classes, **kwargs)


async def test_middleware_refuses_with_429_and_ratelimit_headers(
    clocked_store: tuple[RateLimitStore, FakeClock],
) -> None:
    store, _ = clocked_store
    app = middleware(store)
    first = await run(app, http_scope())
    assert first.status == 200 and first.body == b"ok"
    assert first.headers[b"ratelimit-limit"] == b"2"
    assert first.headers[b"ratelimit-remaining"] == b"1"
    await run(app, http_scope())
    refused = await run(app, http_scope())
    assert refused.status == 429 and refused.receive_calls == 0
    assert refused.headers[b"retry-after"] == b"1"
    assert refused.headers[b"ratelimit-remaining"] == b"0"
    assert refused.headers[b"ratelimit-reset"] == b"2"
    assert refused.body == app.refusal.bodies[Variant.HTML_EN]
    other_client = await run(app, http_scope(client="192.0.2.77"))
    assert other_client.status == 200


async def test_middleware_route_classes_have_separate_buckets() -> None:
    app = middleware(MemoryStore(clock=FakeClock(1_700_000_000.0)))
    assert (await run(app, http_scope("POST"))).status == 200
    refused = await run(app, http_scope("POST", path="/api/submit"))
    assert refused.status == 429
    assert refused.headers[b"content-type"] == b"application/problem+json"
    assert refused.body == app.refusal.bodies[Variant.JSON_EN]
    assert (await run(app, http_scope("GET"))).status == 200


async def test_middleware_exempt_paths_and_unmatched_requests_pass() -> None:
    store = MemoryStore(clock=FakeClock(1_700_000_000.0))
    classes = [RouteClass("api", "/api/", rate=1.0, burst=1)]
    app = RateLimitMiddleware(ok_app, store=store, route_classes=classes)
    for _ in range(5):
        assert (await run(app, http_scope(path="/healthz"))).status == 200
        assert (await run(app, http_scope(path="/page"))).status == 200
    assert len(store) == 0


async def test_middleware_can_leave_success_headers_out() -> None:
    app = middleware(MemoryStore(clock=FakeClock(1_700_000_000.0)), headers_on_success=False)
    assert b"ratelimit-limit" not in (await run(app, http_scope())).headers


async def test_middleware_fails_open_without_headers_when_redis_is_down() -> None:
    store = RedisStore.from_url("redis://127.0.0.1:1/0", prefix="rl:", timeout=0.2)
    try:
        app = middleware(store)
        responses = [await run(app, http_scope()) for _ in range(4)]
    finally:
        await store.close()
    assert [r.status for r in responses] == [200] * 4
    assert b"ratelimit-limit" not in responses[0].headers


def test_from_settings_builds_the_store_and_classes() -> None:
    assert RateLimitMiddleware.from_settings(ok_app, RateLimitSettings(enabled=False)) is ok_app
    app = RateLimitMiddleware.from_settings(ok_app, RateLimitSettings())
    assert isinstance(app, RateLimitMiddleware)
    assert isinstance(app.store, MemoryStore)
    assert [c.name for c in app.route_classes] == ["submit", "api", "page"]
    assert app.route_classes[0].methods == frozenset({"POST", "PUT", "PATCH", "DELETE"})
    redis_backed = RateLimitMiddleware.from_settings(
        ok_app, RateLimitSettings(), redis_url=REDIS_TEST_URL
    )
    assert isinstance(redis_backed, RateLimitMiddleware)
    assert isinstance(redis_backed.store, RedisStore)


@settings(max_examples=400)
@given(
    st.one_of(
        st.ip_addresses().map(str),
        st.lists(st.integers(0, 300).map(str), min_size=3, max_size=5).map(".".join),
        st.lists(
            st.sampled_from(["0", "00", "01", "1", "255", "9", " ", ".", ":", "a", "\x00"])
        ).map("".join),
        st.text(max_size=20),
    )
)
def test_client_addresses_read_as_the_standard_library_reads_them(address: str) -> None:
    # the inet_pton fast path answers as the ipaddress path does for every string
    assert _normalise(address) == _normalise_other(address.strip())

"""Pure-ASGI per-client rate limiting: 429 + Retry-After + RateLimit headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northbound.surge.ratelimit.bucket import Decision
from northbound.surge.ratelimit.client_key import ClientKey
from northbound.surge.ratelimit.config import RateLimitSettings
from northbound.surge.ratelimit.metrics import RateLimitMetrics, rate_limit_metrics
from northbound.surge.ratelimit.redis_store import RedisStore
from northbound.surge.ratelimit.routes import RouteClass, match_route
from northbound.surge.ratelimit.store import MemoryStore, RateLimitStore
from northbound.surge.shed_page import CannedResponse


def ratelimit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """The IETF draft's three fields (draft-ietf-httpapi-ratelimit-headers)."""
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset).encode()),
    ]


def store_from_settings(
    settings: RateLimitSettings, redis_url: str = "", *, metric_namespace: str | None = None
) -> RateLimitStore:
    """Redis when ``redis_url`` is given (buckets shared by every instance), else in-process.
    Redis failures are counted in ``<metric_namespace>_surge_rate_limit_store_failures_total``
    (not at all when it is None)."""
    if redis_url:
        return RedisStore.from_url(
            redis_url,
            prefix=settings.redis_prefix,
            timeout=settings.redis_timeout_seconds,
            metrics=None if metric_namespace is None else rate_limit_metrics(metric_namespace),
        )
    return MemoryStore(max_keys=settings.max_memory_keys)


class RateLimitMiddleware:
    """Takes one token per request from the client's bucket of the request's route class.

    Decided from the scope alone, before the body is read. An empty bucket answers 429 with a
    pre-rendered bilingual page (or problem JSON), ``Retry-After`` (seconds until the next
    token) and ``RateLimit-*`` headers. Requests matching no class, exempt paths and non-HTTP
    scopes pass untouched.

    ``extra_classes`` come before the configured ones (an application's own, e.g. a sign-in
    class derived from its account settings); ``reads`` are the prefixes whose POSTs are
    classed as reads (see :func:`~.routes.match_route`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: RateLimitStore,
        route_classes: Sequence[RouteClass],
        client_key: Callable[[Scope], str] | None = None,
        exempt_prefixes: Sequence[str] = (),
        headers_on_success: bool = True,
        site_name: str = "",
        reads: Sequence[str] = (),
        metrics: RateLimitMetrics | None = None,
    ) -> None:
        self.app = app
        self._limited = metrics.limited if metrics is not None else None
        self.store = store
        self.route_classes = tuple(route_classes)
        self.reads = tuple(reads)
        self.client_key = client_key or ClientKey()
        self.exempt_prefixes = tuple(exempt_prefixes)
        self.headers_on_success = headers_on_success
        self.refusal = CannedResponse(429, 1, site_name=site_name)

    @classmethod
    def from_settings(
        cls,
        app: ASGIApp,
        settings: RateLimitSettings,
        *,
        redis_url: str = "",
        store: RateLimitStore | None = None,
        site_name: str = "",
        extra_classes: Sequence[RouteClass] = (),
        reads: Sequence[str] = (),
        exempt_prefixes: Sequence[str] = (),
        metric_namespace: str | None = None,
    ) -> ASGIApp:
        """Redis store if ``redis_url`` is given (and no ``store``), else in-process; refusals
        counted in ``<metric_namespace>_surge_rate_limited_total``.

        Returns ``app`` itself when ``settings.enabled`` is false, so it can be used as a
        Starlette ``Middleware`` factory whatever the setting.
        """
        if not settings.enabled:
            return app
        if store is None:
            store = store_from_settings(settings, redis_url, metric_namespace=metric_namespace)
        classes = [
            RouteClass(c.name, c.prefix, c.rate, c.burst, frozenset(m.upper() for m in c.methods))
            for c in settings.route_classes
        ]
        return cls(
            app,
            store=store,
            route_classes=[*extra_classes, *classes],
            reads=reads,
            client_key=ClientKey(
                settings.trusted_proxy_header,
                hops=settings.trusted_proxy_hops,
                trusted_proxies=settings.trusted_proxies,
            ),
            exempt_prefixes=(*exempt_prefixes, *settings.exempt_prefixes),
            headers_on_success=settings.headers_on_success,
            site_name=site_name,
            metrics=None if metric_namespace is None else rate_limit_metrics(metric_namespace),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        route_class = match_route(self.route_classes, scope, self.reads)
        if route_class is None:
            await self.app(scope, receive, send)
            return
        key = f"{route_class.name}:{self.client_key(scope)}"
        decision = await self.store.take(key, rate=route_class.rate, burst=route_class.burst)
        if not decision.allowed:
            if self._limited is not None:
                self._limited.labels(route_class.name).inc()
            await self.refusal.send(
                scope,
                send,
                retry_after=decision.retry_after,
                extra_headers=ratelimit_headers(decision),
            )
            return
        if not self.headers_on_success or decision.degraded:
            await self.app(scope, receive, send)
            return
        extra = ratelimit_headers(decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

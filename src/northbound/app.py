"""Builds the ASGI application from settings.

The path of one request (see the README's architecture section): the front door (observe →
[arrival counter] → cached pages), then FastAPI with its middleware list ([rate limit] →
[waiting room] → [admission control] → gzip) → routes. Bracketed layers are the surge defence
(``northbound.defence``); ``Settings.protected = False`` leaves them out so the same site can
be measured unprotected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from northbound import __version__
from northbound.defence import ROOM_ADMIN_PATH, SurgeDefence
from northbound.lab.case_route import install_lab_routes
from northbound.ops import health
from northbound.ops.console.wiring import install_console
from northbound.ops.heap import freeze_start_up_heap
from northbound.ops.logs import configure_logging
from northbound.ops.observe import ObserveMiddleware
from northbound.portal import notices
from northbound.portal.accounts.staff_gate import staff_session_authorizer
from northbound.portal.content.site import ContentSite
from northbound.portal.processing.wiring import install_processing
from northbound.portal.wiring import install_portal
from northbound.settings import Settings
from northbound.storage.database import Database
from northbound.storage.schema import ensure_current
from northbound.surge.admission.aside import committed_request, stepped_aside
from northbound.surge.background import cancel_and_wait
from northbound.web import openapi
from northbound.web.assets import StaticAssets
from northbound.web.bilingual import Twins
from northbound.web.errors import ErrorPages, install_error_handlers
from northbound.web.fastpath import CachedPathsMiddleware, CachedTable
from northbound.web.templating import Templates

log = logging.getLogger(__name__)


async def _watch_content(app: FastAPI, interval: float) -> None:
    """Re-render when content files or the notice banner change (polling, off the hot path)."""
    site: ContentSite = app.state.content
    db: Database = app.state.db
    while True:
        await asyncio.sleep(interval)
        site.reload_if_changed()
        await _refresh_notice(site, db)


async def _refresh_notice(site: ContentSite, db: Database) -> None:
    try:
        notice, updated = await notices.current_notice(db)
    except Exception as exc:  # the database may be down: keep the banner we have
        log.warning("notice refresh failed", extra={"error": type(exc).__name__})
        return
    site.set_notice(notice, updated)


class Site(FastAPI):
    """FastAPI behind a front door: pure-ASGI layers that see every request before FastAPI does.

    In a surge most requests are for cached information pages. FastAPI and Starlette pass every
    request through wrappers of their own (telemetry, the body limit, the error middleware)
    before the first layer of ``middleware=`` sees it, and for a cached page those wrappers
    cost more than the answer (``bench/pages.py``). The front door counts and times every
    request, answers the cached pages itself and hands the rest to the framework. Its layers
    are small and do not raise; what the framework raises passes through them unchanged.
    """

    def __init__(self, *, front: Callable[[ASGIApp], ASGIApp], **options: Any) -> None:
        super().__init__(**options)
        self.front = front(self.framework)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request as FastAPI takes it, behind the front door."""
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> Site:
    """The site. ``freeze_heap``: once started, leave the start-up heap out of garbage
    collection (:mod:`northbound.ops.heap`); a served site does, the tests' many apps in one
    process do not (each would freeze the others' leftovers)."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    assets = StaticAssets()
    templates = Templates(assets)
    table = CachedTable()
    content = ContentSite(templates, table, settings.content_dir, settings.page_max_age)
    content.build()  # fail at start-up, not on the first visitor, if content is broken
    db = Database.from_settings(settings)
    defence = SurgeDefence.from_settings(settings)
    twins = Twins()  # filled in as the pages are included (web/bilingual.py include_pages)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each resource is released even if a later start-up step or another release fails.
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(db.dispose)
            # a schema behind the code would pass for an outage on every form
            await ensure_current(db.engine, embedded=settings.is_sqlite)
            await _refresh_notice(content, db)
            stack.push_async_callback(defence.stop)
            await defence.start()
            stack.push_async_callback(console.stop)
            await console.start()
            stack.push_async_callback(processing.stop)
            await processing.start()
            if settings.content_poll_seconds > 0:
                watcher = asyncio.create_task(_watch_content(app, settings.content_poll_seconds))
                stack.push_async_callback(cancel_and_wait, watcher)
            if freeze_heap:
                freeze_start_up_heap()
            yield

    def front(framework: ASGIApp) -> ASGIApp:
        cached = CachedPathsMiddleware(framework, table=table)
        return ObserveMiddleware(defence.front(cached), access_log=settings.access_log)

    middleware = [
        *defence.layers(twin=twins.address),
        Middleware(GZipMiddleware, minimum_size=1024),
    ]
    app = Site(
        front=front,
        title="Northbound",
        version=__version__,
        description="Immigration portal API: eligibility tools, applications and status.",
        middleware=middleware,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Metrics are Prometheus (ops/metrics.py); FastAPI's own OpenTelemetry hook would
        # otherwise look up the global providers on every request, shed ones included.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = db
    app.state.defence = defence
    app.state.twins = twins
    app.state.templates = templates
    app.state.content = content
    app.state.errors = ErrorPages(templates, settings.default_language)
    install_error_handlers(app, app.state.errors)
    openapi.install(app)
    app.include_router(health.router)
    install_portal(app, defence.room if defence.room_active else None)
    # a request queued for a password hash holds nothing others need: its admission slot
    # goes back while it waits (a no-op where admission control is not installed)
    app.state.accounts.hashing.pool.step_aside = stepped_aside
    # ... and the request that ends a wait in the waiting room is never refused there either
    app.state.accounts.hashing.pool.committed = committed_request
    install_lab_routes(app, settings.lab)  # off unless NORTHBOUND_LAB__BACKEND=1
    console = install_console(app, settings, templates)  # /staff/console: the operator's view
    processing = install_processing(app, db)  # processing times, from an in-memory snapshot
    if defence.room_active:
        staff = staff_session_authorizer(app.state.accounts)
        app.mount(ROOM_ADMIN_PATH, defence.admin_app(staff))
    return app


def app_from_environment() -> Site:
    """Factory for ``uvicorn --factory`` (used by ``northbound serve`` with several workers)."""
    settings = Settings()
    settings.require_shared_secret()  # a real start: refuse per-instance secrets
    return create_app(settings, freeze_heap=True)

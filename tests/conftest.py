"""Shared fixtures: settings on a throw-away data dir, the app with its lifespan, an HTTP client,
fresh PostgreSQL databases and Redis prefixes on the real servers, and the guard that fails any
test which made the app answer an unexpected 500. The helpers behind them are in tests/support.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings

from northbound.app import create_app
from northbound.ops.metrics import UNEXPECTED_ERRORS
from northbound.settings import Settings
from tests.support.apps import migrated, remembered_rendering, served, site_settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.services import (
    POSTGRES_ADMIN_URL,
    REDIS_TEST_URL,
    REQUIRE_SERVICES,
    free_port,
    require_service,
)

# Hypothesis's per-example deadline (200 ms) is a timed test: on two cores shared by pytest-xdist
# workers, browsers and test servers, one slow example (380 ms, then 10 ms on the replay) failed
# a property that holds. Speed is the benchmarks' business; the properties keep no deadline.
hypothesis_settings.register_profile("northbound", deadline=None)
hypothesis_settings.load_profile("northbound")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``) the tests on the real Redis run on one worker:
    each keeps to its own key prefix, but the site's own layers (console, rate limits) write
    under fixed names that two instances at once would share. PostgreSQL needs no such care:
    every test gets a database of its own."""
    for item in items:
        if "redis_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker("redis"):
            item.add_marker(pytest.mark.xdist_group("redis"))


@pytest.fixture(scope="session", autouse=True)
def render_each_page_once() -> Iterator[None]:
    with remembered_rendering():
        yield


def _unexpected_errors() -> float:
    value: float = UNEXPECTED_ERRORS._value.get()
    return value


@pytest.fixture(autouse=True)
def no_unexpected_errors() -> Iterator[None]:
    """Any test that made the app log an unexpected exception fails, even if it asserted a 500."""
    before = _unexpected_errors()
    yield
    assert _unexpected_errors() == before, "the app answered an unexpected error (500)"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        return site_settings(tmp_path / "data", **overrides)

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return migrated(make_settings())


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the real server, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"nb_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_TEST_URL


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses; tests delete their keys under it."""
    return f"nbtest:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn in a background thread (SQLite, in-process state)."""
    settings = migrated(site_settings(tmp_path_factory.mktemp("live-data")))
    with served(settings, free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Module-scoped on purpose: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which would break every asyncio test collected after it.
    """
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def auditor(chromium: Any) -> Iterator[Any]:
    """A JavaScript tab that runs axe-core on what the JavaScript-off tab shows."""
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def js_tab(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    """A fresh browser tab, once with JavaScript on and once off: every page must work both
    ways (audit it with ``tests.support.browser.audit``)."""
    context = chromium.new_context(java_script_enabled=request.param)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

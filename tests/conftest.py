"""Shared fixtures: settings on a throw-away data dir, the app with its lifespan, an HTTP client,
fresh PostgreSQL databases and Redis prefixes on the real servers, and the guard that fails any
test which made the app answer an unexpected 500.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from northbound.app import create_app
from northbound.ops.metrics import UNEXPECTED_ERRORS
from northbound.settings import Settings
from northbound.storage import migrate

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
POSTGRES_ADMIN_URL = os.environ.get(
    "NORTHBOUND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("NORTHBOUND_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("NORTHBOUND_REQUIRE_SERVICES") == "1"

# The surge layers stay on every test's request path, but made deterministic: every test talks
# to the app from one address (so the buckets are deep enough never to refuse it), and a busy
# test machine must not make an adaptive limit shed a test's request or switch the waiting room
# on in the middle of a browser test. tests/surge/test_site_defence.py checks the real defaults.
ROOMY_RATE_LIMITS = {
    "route_classes": [{"name": "all", "prefix": "/", "rate": 1000.0, "burst": 100_000}]
}
STEADY_SURGE: dict[str, object] = {
    "rate_limit": ROOMY_RATE_LIMITS,
    "admission": {
        "algorithm": "fixed", "initial_limit": 1000, "max_limit": 1000,
        # a loaded CI machine lags: that must not shed a test's request
        "loop_lag_threshold_seconds": 3600, "accept_queue_max_wait_seconds": 0,
    },
    "waiting_room": {"mode": "off"},
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def _unexpected_errors() -> float:
    return UNEXPECTED_ERRORS._value.get()


@pytest.fixture(autouse=True)
def no_unexpected_errors() -> Iterator[None]:
    """Any test that made the app log an unexpected exception fails, even if it asserted a 500."""
    before = _unexpected_errors()
    yield
    assert _unexpected_errors() == before, "the app answered an unexpected error (500)"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "secret_key": "test-secret-key-for-northbound-tests",
            "content_poll_seconds": 0,
            **STEADY_SURGE,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    settings = make_settings()
    migrate.upgrade(settings.effective_database_url)
    return settings


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
    import threading
    import time

    import uvicorn

    data_dir = tmp_path_factory.mktemp("live-data")
    settings = Settings(
        data_dir=data_dir,
        secret_key="live-server-secret-key-for-tests",  # type: ignore[arg-type]
        content_poll_seconds=0,
        **STEADY_SURGE,  # type: ignore[arg-type]
    )
    migrate.upgrade(settings.effective_database_url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
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

"""The site as the tests build it: settings on a throw-away data directory, the app served in a
background thread, and compression remembered across the many apps one run builds."""

from __future__ import annotations

import atexit
import contextlib
import functools
import gzip
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import brotli
import pytest
import uvicorn
from markdown_it import MarkdownIt
from sqlalchemy.engine import URL, make_url

from northbound.app import create_app
from northbound.settings import Settings
from northbound.storage import migrate

T = TypeVar("T")

FIXTURE_CONTENT = Path(__file__).parent.parent / "fixtures" / "content"
TEST_SECRET = "test-secret-key-for-northbound-tests"

# The surge layers stay on every test's request path, but made deterministic: every test talks
# to the app from one address (so the buckets are deep enough never to refuse it), and a busy
# test machine must not make an adaptive limit shed a test's request or switch the waiting room
# on in the middle of a browser test. tests/defence/ checks the real defaults.
ROOMY_RATE_LIMITS = {
    "route_classes": [{"name": "all", "prefix": "/", "rate": 1000.0, "burst": 100_000}]
}
STEADY_SURGE: dict[str, object] = {
    "rate_limit": ROOMY_RATE_LIMITS,
    "admission": {
        "algorithm": "fixed",
        "initial_limit": 1000,
        "max_limit": 1000,
        # a loaded CI machine lags: that must not shed a test's request
        "loop_lag_threshold_seconds": 3600,
        "accept_queue_max_wait_seconds": 0,
    },
    "waiting_room": {"mode": "off"},
}


@dataclass(frozen=True)
class LiveSite:
    """A site served for real: its URL and its database."""

    url: str
    database_url: str


def layer_of(app: Any, kind: type[T]) -> T:
    """The site's middleware of type ``kind``, found by walking its built stack (or, given a
    layer, the layers behind it)."""
    layer: Any = app.build_middleware_stack() if hasattr(app, "build_middleware_stack") else app
    while not isinstance(layer, kind):
        layer = layer.app
    return layer


def site_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a site under test: its own data directory, no content polling, the steady
    surge layers; ``overrides`` win."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "content_poll_seconds": 0,
        **STEADY_SURGE,
        **overrides,
    }
    return Settings(**values)


def migrated(settings: Settings) -> Settings:
    """``settings`` with its database at the latest revision.

    An embedded (SQLite) database is a copy of one migrated once per test process: running
    the migrations took 0.1 s a test, the largest part of most tests' set-up. The copy is the
    same file the migrations write (its WAL folded in first). PostgreSQL is migrated for real.
    """
    if settings.database_url:
        migrate.upgrade(settings.effective_database_url)
        return settings
    url = make_url(settings.effective_database_url)
    target = Path(str(url.database))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_template(url.drivername), target)
    return settings


@functools.cache
def _migrated_template(drivername: str) -> Path:
    """One embedded database per test process, migrated through the site's driver."""
    folder = tempfile.mkdtemp(prefix="nb-migrated-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "template.db"
    migrate.upgrade(URL.create(drivername, database=str(path)).render_as_string())
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@contextlib.contextmanager
def served(settings: Settings, port: int) -> Iterator[str]:
    """The real app under uvicorn in a background thread on ``port``; yields its URL."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test site did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def remembered_rendering() -> Iterator[None]:
    """Compress each distinct body, and turn each distinct Markdown text into HTML, once per
    test run.

    Every app a test builds renders the same information pages and compresses each at build
    time (brotli at quality 11, then Markdown, are most of the ~0.5 s an app costs). Both are
    pure functions of their arguments and the parser's rules, so answering a repeat from memory
    changes no byte a test sees; a test that edits a page gets the new page rendered.
    """
    render = MarkdownIt.render
    rendered: dict[tuple[str, str, str], Any] = {}  # markdown-it types its output Any

    def remembered_render(md: MarkdownIt, src: str, env: Any = None) -> Any:
        if env is not None:  # the renderer may write into env: not a pure call
            return render(md, src, env)
        key = (src, repr(md.options), repr(md.get_active_rules()))
        if key not in rendered:
            rendered[key] = render(md, src)
        return rendered[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(brotli, "compress", _remembered(brotli.compress))
        patch.setattr(gzip, "compress", _remembered(gzip.compress))
        patch.setattr(MarkdownIt, "render", remembered_render)
        yield


def _remembered(compress: Callable[..., bytes]) -> Callable[..., bytes]:
    cached = functools.lru_cache(maxsize=512)(compress)

    def remembered(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        if type(data) is not bytes:  # a bytearray or memoryview cannot be a key
            return compress(data, *args, **kwargs)
        return cached(data, *args, **kwargs)

    return remembered

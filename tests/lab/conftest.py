"""The real site under uvicorn in a background thread, for the journeys and the audit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from northbound.app import create_app
from northbound.settings import Settings
from northbound.storage import migrate
from tests.accounts.flows import FAST_HASHING
from tests.conftest import STEADY_SURGE


@dataclass(frozen=True)
class LiveSite:
    url: str
    database_url: str


def serve(data_dir: Path, **overrides: object) -> Iterator[LiveSite]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    values: dict[str, object] = {
        "data_dir": data_dir, "secret_key": "lab-test-secret-key-for-northbound",
        "content_poll_seconds": 0, "accounts": FAST_HASHING,
        "base_url": f"http://127.0.0.1:{port}", **STEADY_SURGE, **overrides,
    }
    settings = Settings(**values)  # type: ignore[arg-type]
    migrate.upgrade(settings.effective_database_url)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None,
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the site did not start")
        time.sleep(0.05)
    try:
        yield LiveSite(f"http://127.0.0.1:{port}", settings.effective_database_url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The site with its waiting room off."""
    yield from serve(tmp_path_factory.mktemp("lab-site"))


@pytest.fixture(scope="module")
def site_in_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The site with its waiting room always on: every journey goes through the line."""
    yield from serve(tmp_path_factory.mktemp("lab-site-room"),
                     waiting_room={"mode": "on", "min_refresh_seconds": 1})

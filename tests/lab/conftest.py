"""The real site under uvicorn in a background thread, for the journeys and the audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.accounts import FAST_HASHING
from tests.support.apps import LiveSite, migrated, served, site_settings
from tests.support.services import free_port


def serve(data_dir: Path, **overrides: object) -> Iterator[LiveSite]:
    port = free_port()
    settings = migrated(
        site_settings(
            data_dir,
            secret_key="lab-test-secret-key-for-northbound",
            accounts=FAST_HASHING,
            base_url=f"http://127.0.0.1:{port}",
            **overrides,
        )
    )
    with served(settings, port) as url:
        yield LiveSite(url, settings.effective_database_url)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The site with its waiting room off."""
    yield from serve(tmp_path_factory.mktemp("lab-site"))


@pytest.fixture(scope="module")
def site_in_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The site with its waiting room always on: every journey goes through the line."""
    yield from serve(
        tmp_path_factory.mktemp("lab-site-room"),
        waiting_room={"mode": "on", "min_refresh_seconds": 1},
    )

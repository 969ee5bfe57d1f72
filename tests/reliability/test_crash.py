"""kill -9 during a burst of submissions: nothing acknowledged is lost or duplicated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.reliability.crash import Counts, run

pytestmark = pytest.mark.slow


def _assert_exactly_once(counts: Counts) -> None:
    assert counts.kills == 2
    assert counts.transport_errors > 0, "the kills should have cut requests in flight"
    assert counts.acknowledged == counts.submissions
    assert counts.lost == 0 and counts.duplicates == 0 and counts.receipt_mismatches == 0
    assert counts.acknowledged_found_once == counts.acknowledged
    assert counts.applications_in_database == counts.submissions
    assert counts.replays_same_receipt == counts.replays_checked > 0
    assert counts.ok


def test_sqlite_survives_kill_9(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'northbound.db'}"
    counts = asyncio.run(run("sqlite", url, tmp_path, clients=16, submissions=10, kills=2))
    print(counts)
    _assert_exactly_once(counts)


@pytest.mark.postgres
def test_postgres_survives_kill_9(tmp_path: Path, postgres_url: str) -> None:
    counts = asyncio.run(
        run("postgres", postgres_url, tmp_path, clients=16, submissions=10, kills=2)
    )
    print(counts)
    _assert_exactly_once(counts)

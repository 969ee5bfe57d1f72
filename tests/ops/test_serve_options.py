"""`northbound serve` hands uvicorn the options the defence depends on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from northbound.cli import cli as cli_app
from northbound.settings import Settings
from northbound.surge.waiting_room import WaitingRoomSettings


@pytest.fixture(autouse=True)
def _serve_writes_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` sets NORTHBOUND_BASE_URL for its workers: undo it after each test."""
    monkeypatch.delenv("NORTHBOUND_BASE_URL", raising=False)


def test_keep_alive_outlasts_every_refresh_and_retry_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A waiting browser polls every few seconds on a kept-alive connection; uvicorn's own
    default (5 s) equals the shortest refresh, and the server's close raced the poll."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli_app, ["serve", "--port", "18999"])
    assert result.exit_code == 0, result.output
    room = WaitingRoomSettings()
    longest_wait = max(room.max_refresh_seconds, room.abandon_grace_seconds // 3, 5)
    assert seen["timeout_keep_alive"] > longest_wait
    assert seen["timeout_keep_alive"] > 5  # the admission 503's Retry-After default


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "9123"], "http://127.0.0.1:9123"),
        (["--host", "0.0.0.0", "--port", "8080"], "http://127.0.0.1:8080"),
        (["--host", "::1", "--port", "8080"], "http://[::1]:8080"),
    ],
)
def test_links_in_emails_point_where_the_site_is_served(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], expected: str
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli_app, ["serve", *args])
    assert result.exit_code == 0, result.output
    assert os.environ["NORTHBOUND_BASE_URL"] == expected
    assert Settings().base_url == expected
    # an operator's own public address is never overwritten
    monkeypatch.setenv("NORTHBOUND_BASE_URL", "https://northbound.example")
    assert CliRunner().invoke(cli_app, ["serve", *args]).exit_code == 0
    assert os.environ["NORTHBOUND_BASE_URL"] == "https://northbound.example"

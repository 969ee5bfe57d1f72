"""`northbound serve` hands uvicorn the options the defence depends on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from northbound.cli import cli as cli_app
from northbound.surge.waiting_room import WaitingRoomSettings


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

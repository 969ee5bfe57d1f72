"""Operator commands: NORTHBOUND_BASE_URL honoured, tables by default, ``--json`` for
machines, and errors that name the setting to fix."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from northbound.cli import cli


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "NORTHBOUND_REDIS_URL",
        "NORTHBOUND_DATABASE_URL",
        "NORTHBOUND_BASE_URL",
        "NORTHBOUND_METRICS__TOKEN",
        "NORTHBOUND_WAITING_ROOM__ADMIN_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def test_room_status_is_a_table_and_json_on_request(
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NORTHBOUND_REDIS_URL", redis_url)
    monkeypatch.setenv("NORTHBOUND_WAITING_ROOM__REDIS_PREFIX", redis_prefix.rstrip(":"))
    table = CliRunner().invoke(cli, ["room", "pause"])
    assert table.exit_code == 0, table.output
    assert "| paused " in table.output and "places in line" in table.output
    assert "{" not in table.output
    as_json = CliRunner().invoke(cli, ["room", "status", "--json"])
    assert json.loads(as_json.output)["paused"] is True
    CliRunner().invoke(cli, ["room", "close"])


def test_room_commands_use_the_base_url_and_name_it_when_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NORTHBOUND_BASE_URL", "http://127.0.0.1:1")
    result = CliRunner().invoke(cli, ["room", "status"])
    assert result.exit_code == 1
    assert "127.0.0.1:1" in result.output and "NORTHBOUND_BASE_URL" in result.output


def test_surge_status_reads_the_base_url_with_the_metrics_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NORTHBOUND_BASE_URL", "http://127.0.0.1:9998")
    monkeypatch.setenv("NORTHBOUND_METRICS__TOKEN", "scrape-token-0123456789")
    seen: list[tuple[str, dict[str, str]]] = []

    def fake_get(url: str, timeout: float, headers: dict[str, str] | None = None) -> httpx.Response:
        seen.append((url, headers or {}))
        return httpx.Response(
            200, text="northbound_surge_limit 42.0\n", request=httpx.Request("GET", url)
        )

    monkeypatch.setattr(httpx, "get", fake_get)
    table = CliRunner().invoke(cli, ["surge", "status"])
    assert table.exit_code == 0 and "concurrency limit" in table.output
    assert seen == [
        ("http://127.0.0.1:9998/metrics", {"Authorization": "Bearer scrape-token-0123456789"})
    ]
    as_json = CliRunner().invoke(cli, ["surge", "status", "--json"])
    assert json.loads(as_json.output)["gauges"] == {"limit": 42.0}


def test_surge_status_says_which_setting_opens_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(url: str, timeout: float) -> httpx.Response:
        return httpx.Response(404, text="{}", request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx, "get", refused)
    result = CliRunner().invoke(cli, ["surge", "status", "--url", "http://site"])
    assert result.exit_code == 1 and "NORTHBOUND_METRICS__TOKEN" in result.output


def test_notice_show_is_a_table_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert (
        runner.invoke(
            cli,
            [
                "notice",
                "set",
                "--en",
                "Busy tonight.",
                "--fr",
                "Très occupé ce soir.",
                "--level",
                "warning",
            ],
        ).exit_code
        == 0
    )
    table = runner.invoke(cli, ["notice", "show"])
    assert "| English " in table.output and "Très occupé ce soir." in table.output
    document = json.loads(runner.invoke(cli, ["notice", "show", "--json"]).output)
    assert document["level"] == "warning" and document["fr"] == "Très occupé ce soir."

"""``surge status``: parsing /metrics and printing the table."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import generate_latest
from typer.testing import CliRunner

from northbound.ops.metrics import METRIC_NAMESPACE
from northbound.surge.admission import FixedLimit, Limiter, Priority, ShedReason
from northbound.surge.admission.metrics import admission_metrics
from northbound.surge.breaker import CircuitBreaker, breaker_metrics
from northbound.surge_cli import format_table, parse_metrics, surge_app


def test_status_table_shows_live_figures() -> None:
    lim = Limiter(FixedLimit(3), max_queue=0, metrics=admission_metrics(METRIC_NAMESPACE))
    permits = [lim.try_acquire(Priority.CRITICAL) for _ in range(3)]
    assert asyncio.run(lim.acquire(Priority.SHEDDABLE)) is ShedReason.QUEUE_FULL
    CircuitBreaker("cli-db", metrics=breaker_metrics(METRIC_NAMESPACE))
    figures = parse_metrics(generate_latest().decode())
    table = format_table(figures)
    assert figures.gauges["limit"] == 3 and figures.gauges["in_flight"] == 3
    assert figures.shed[("sheddable", "queue_full")] >= 1
    assert "| concurrency limit" in table and "breaker: cli-db" in table
    assert "shed: sheddable / queue_full" in table
    for permit in permits:
        assert permit is not None
        permit.release()


def test_status_table_without_surge_figures() -> None:
    assert "No surge figures" in format_table(parse_metrics("# nothing\n"))


def test_status_command_fetches_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "northbound_surge_limit 42.0\nnorthbound_surge_in_flight 7.0\n"
    seen: list[str] = []

    def fake_get(url: str, timeout: float) -> httpx.Response:
        seen.append(url)
        return httpx.Response(200, text=body, request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx, "get", fake_get)
    result = CliRunner().invoke(surge_app, ["status", "--url", "http://127.0.0.1:9999/"])
    assert result.exit_code == 0, result.output
    assert seen == ["http://127.0.0.1:9999/metrics"]
    assert "42" in result.output and "in flight" in result.output


def test_status_command_reports_an_unreachable_instance() -> None:
    result = CliRunner().invoke(
        surge_app, ["status", "--url", "http://127.0.0.1:1", "--timeout", "0.5"]
    )
    assert result.exit_code == 1
    assert "Could not read http://127.0.0.1:1/metrics" in result.output

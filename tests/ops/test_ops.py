from __future__ import annotations

import json
import logging

import httpx
import pytest


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_metrics_count_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/en/express-entry")
    await client.get("/en/no-such-page-1")
    await client.get("/en/no-such-page-2")
    text = (await client.get("/metrics")).text
    assert (
        'northbound_http_requests_total{method="GET",route="/{lang}/{page}",status="200"}' in text
    )
    assert 'route="<unmatched>",status="404"' in text
    assert "no-such-page" not in text  # raw paths never become labels
    assert "northbound_http_request_duration_seconds_bucket" in text
    assert "northbound_http_in_flight" in text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"x-request-id": "abcdef12-3456"})
    assert given.headers["x-request-id"] == "abcdef12-3456"
    made = await client.get("/healthz", headers={"x-request-id": "<script>"})
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "<script>"


async def test_unexpected_error_is_friendly_and_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from northbound.ops.metrics import UNEXPECTED_ERRORS

    app = client._transport.app  # type: ignore[attr-defined]

    @app.get("/en/boom-for-test")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    before = UNEXPECTED_ERRORS._value.get()
    with caplog.at_level(logging.ERROR):
        response = await client.get("/en/boom-for-test", headers={"x-request-id": "req-12345678"})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "req-12345678" in response.text  # the reference a person can quote
    assert "kaboom" not in response.text
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    # Balance the autouse guard: this test triggers the 500 on purpose.
    UNEXPECTED_ERRORS._value.set(before)


def test_logs_are_json_with_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    from northbound.ops.logs import configure_logging, request_id_var

    configure_logging("INFO")
    token = request_id_var.set("rid-123456")
    logging.getLogger("northbound.test").info("hello", extra={"figure": 3})
    request_id_var.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "hello"
    assert record["request_id"] == "rid-123456"
    assert record["figure"] == 3

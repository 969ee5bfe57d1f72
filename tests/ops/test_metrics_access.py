"""``/metrics`` is not public: token, local callers, or a separate listener."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from northbound.app import create_app
from northbound.ops.metrics_listener import start_metrics_listener
from northbound.settings import Settings

TOKEN = "scrape-token-0123456789abcdef"


async def _get(settings: Settings, client_host: str, headers: dict[str, str]) -> httpx.Response:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=(client_host, 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
            return await client.get("/metrics", headers=headers)


@pytest.mark.parametrize(
    ("metrics", "client_host", "headers", "status"),
    [
        ({}, "127.0.0.1", {}, 200),  # a Prometheus or `surge status` on this machine
        ({}, "::1", {}, 200),
        ({}, "203.0.113.9", {}, 404),  # the public: the page does not exist
        ({}, "127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, 404),  # through a proxy
        ({"token": TOKEN}, "203.0.113.9", {"authorization": f"Bearer {TOKEN}"}, 200),
        ({"token": TOKEN}, "203.0.113.9", {"authorization": "Bearer wrong-token"}, 401),
        ({"token": TOKEN}, "203.0.113.9", {}, 401),
        ({"token": TOKEN, "allow_local": False}, "127.0.0.1", {}, 401),
        ({"allow_local": False}, "127.0.0.1", {}, 404),
    ],
)
async def test_who_may_read_metrics(
    make_settings: Callable[..., Settings],
    metrics: dict[str, object],
    client_host: str,
    headers: dict[str, str],
    status: int,
) -> None:
    response = await _get(make_settings(metrics=metrics), client_host, headers)
    assert response.status_code == status
    if status == 200:
        assert "northbound_http_requests_total" in response.text
    else:
        assert "northbound_" not in response.text
        assert response.json()["detail"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_short_token_is_refused(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        make_settings(metrics={"token": "short"})


def test_the_separate_listener_serves_only_metrics() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_metrics_listener("127.0.0.1", port)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert response.status_code == 200
        assert "northbound_http_in_flight" in response.text
        assert httpx.get(f"http://127.0.0.1:{port}/en/", timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()

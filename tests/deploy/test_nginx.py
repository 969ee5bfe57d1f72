"""deploy/nginx: the configuration nginx accepts, and what it does in front of a real instance.

Runs Debian's nginx (scripts/test-deps installs it) on its own prefix and port, in front of
the session's live uvicorn server.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from northbound.lab.server import free_port
from northbound.ops.cluster.nginx import Nginx, check, render, write_config
from tests.support.services import REQUIRE_SERVICES

HEADER_TIMEOUT = 10  # client_header_timeout in deploy/nginx/nginx.conf.template


@pytest.fixture(scope="module", autouse=True)
def _needs_nginx() -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (scripts/test-deps installs it)")
        pytest.skip("nginx is not installed")


def _start(tmp_path: Path, upstreams: list[str]) -> tuple[Nginx, str]:
    port = free_port()
    prefix = tmp_path / "nginx"
    config = write_config(render(f"127.0.0.1:{port}", upstreams, prefix), prefix)
    proxy = Nginx(config, f"http://127.0.0.1:{port}/nginx-healthz")
    proxy.start()
    return proxy, f"http://127.0.0.1:{port}"


@pytest.fixture
def proxied(tmp_path: Path, live_server: str) -> Iterator[str]:
    proxy, url = _start(tmp_path, [live_server.removeprefix("http://")])
    try:
        yield url
    finally:
        proxy.stop()


def test_the_shipped_configuration_passes_nginx_t(tmp_path: Path) -> None:
    upstreams = ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"]
    config = write_config(render("127.0.0.1:8080", upstreams, tmp_path), tmp_path)
    result = check(config)
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    assert text.count("max_fails=1") == 3 and "{{" not in text
    for directive in (
        "client_header_timeout",
        "client_body_timeout",
        "send_timeout",
        "client_max_body_size",
        "proxy_cache_path",
    ):
        assert directive in text
    broken = write_config(text.replace("least_conn;", "least_conn"), tmp_path / "broken")
    assert check(broken).returncode != 0  # nginx -t does catch a broken file


def test_a_cluster_needs_instances(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one instance"):
        render("127.0.0.1:8080", [], tmp_path)


def test_information_pages_are_cached_the_waiting_room_never(proxied: str) -> None:
    with httpx.Client(base_url=proxied, timeout=10) as client:
        first = client.get("/en/")
        assert first.status_code == 200 and "max-age" in first.headers["cache-control"]
        for _ in range(20):  # the cache entry is written once the response is complete
            again = client.get("/en/")
            if again.headers.get("x-cache") == "HIT":
                break
            time.sleep(0.1)
        assert again.headers["x-cache"] == "HIT" and again.text == first.text
        for _ in range(3):
            room = client.get("/waiting-room", follow_redirects=False)
            assert room.headers.get("x-cache", "") != "HIT"
            assert "no-store" in room.headers["cache-control"]
        account = client.get("/en/account/sign-in")
        account_again = client.get("/en/account/sign-in")
        assert account_again.headers.get("x-cache") != "HIT", account.headers


def test_metrics_are_not_served_through_the_proxy(proxied: str) -> None:
    assert httpx.get(f"{proxied}/metrics", timeout=5).status_code == 404


def test_a_too_large_body_is_refused_at_the_proxy(proxied: str) -> None:
    response = httpx.post(
        f"{proxied}/en/account/sign-in",
        content=b"x" * (12 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert response.status_code == 413


def test_no_instance_answering_is_the_designed_busy_page(tmp_path: Path) -> None:
    proxy, url = _start(tmp_path, [f"127.0.0.1:{free_port()}"])  # nothing listens there
    try:
        response = httpx.get(f"{url}/en/account/", timeout=10)
    finally:
        proxy.stop()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "very busy" in response.text and "occup" in response.text


def _half_request(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=5)
    sock.sendall(b"GET /en/ HTTP/1.1\r\nHost: x\r\n")  # the head never finishes
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        sock.recv(4096)  # an answer (408) or b"" on close
    except ConnectionResetError:  # reset_timedout_connection: nginx resets, freeing at once
        return True
    except TimeoutError:
        return False
    return True


def test_slow_clients_are_dropped_by_nginx_not_by_uvicorn(proxied: str, live_server: str) -> None:
    """Measured: uvicorn holds a socket whose request head never ends; nginx drops it."""

    def address(url: str) -> tuple[str, int]:
        host, port = url.removeprefix("http://").split(":")
        return host, int(port)

    direct = _half_request(address(live_server))
    fronted = _half_request(address(proxied))
    started = time.monotonic()
    try:
        assert _closed_within(fronted, HEADER_TIMEOUT + 5)
        assert time.monotonic() - started >= HEADER_TIMEOUT - 1
        # uvicorn, asked at the same moment, still holds its socket open
        assert not _closed_within(direct, 1)
    finally:
        direct.close()
        fronted.close()

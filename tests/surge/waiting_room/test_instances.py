"""Two real servers on two ports sharing one Redis line, and the operator CLI against it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn
from typer.testing import CliRunner

from northbound.room_cli import room_app
from northbound.surge.waiting_room import (
    SCOPE_KEY,
    Controls,
    WaitingRoom,
    WaitingRoomMiddleware,
    WaitingRoomSettings,
)
from tests.support.waiting_room import delete_keys

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _instance(redis_url: str, prefix: str) -> Any:
    settings = WaitingRoomSettings(redis_prefix=prefix, tick_seconds=0.1, mode="on")
    room = WaitingRoom.from_settings(settings, site_secret="shared-secret", redis_url=redis_url)

    async def site(scope: Any, receive: Any, send: Any) -> None:
        claims = scope.get(SCOPE_KEY)
        body = f"pass {claims.position if claims else 0}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    gate = WaitingRoomMiddleware(site, room=room)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await room.start()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await room.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await gate(scope, receive, send)

    return app


@pytest.fixture
def two_servers(redis_url: str, redis_prefix: str) -> Iterator[tuple[list[str], str]]:
    prefix = redis_prefix.rstrip(":")
    servers, threads, urls = [], [], []
    for _ in range(2):
        port = _free_port()
        config = uvicorn.Config(_instance(redis_url, prefix), host="127.0.0.1", port=port,
                                log_config=None, lifespan="on")  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append(server)
        threads.append(thread)
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 20
    while not all(server.started for server in servers):
        assert time.monotonic() < deadline, "servers did not start"
        time.sleep(0.05)
    yield urls, prefix
    for server in servers:
        server.should_exit = True
    for thread in threads:
        thread.join(timeout=10)
    asyncio.run(delete_keys(redis_url, prefix))


def test_visitors_alternating_between_instances_keep_one_line(
    two_servers: tuple[list[str], str], redis_url: str
) -> None:
    urls, prefix = two_servers
    visitors = [httpx.Client(timeout=5) for _ in range(24)]  # one cookie jar each
    try:
        positions = []
        for index, visitor in enumerate(visitors):
            page = visitor.get(urls[index % 2] + "/apply", headers={"accept": "application/json"})
            assert page.status_code == 429
            positions.append(page.json()["position"])
        assert sorted(positions) == list(range(1, 25))  # global, no place twice

        async def open_inlet() -> None:
            client = aioredis.Redis.from_url(redis_url)
            from northbound.surge.waiting_room.redis_store import RedisStore

            store = RedisStore(client, room="main", prefix=prefix)
            await store.update_controls(Controls(fixed_rate_per_minute=240))  # about 4 a second
            await store.close()

        asyncio.run(open_inlet())
        admitted: dict[int, int] = {}
        deadline = time.monotonic() + 30
        step = 0
        while len(admitted) < len(visitors) and time.monotonic() < deadline:
            step += 1
            for index, visitor in enumerate(visitors):
                if index in admitted:
                    continue
                reply = visitor.get(urls[(index + step) % 2] + "/apply",
                                    headers={"accept": "application/json"})  # fmt: skip
                if reply.status_code == 200:
                    admitted[index] = int(reply.text.split()[1])
                else:
                    assert reply.json()["position"] == positions[index]  # same place
            time.sleep(0.2)
        assert len(admitted) == len(visitors)
        assert [admitted[i] for i in range(len(visitors))] == positions  # pass = own place
        for index, visitor in enumerate(visitors):  # the pass works on the other instance
            assert visitor.get(urls[(index + 1) % 2] + "/apply").text == f"pass {positions[index]}"
    finally:
        for visitor in visitors:
            visitor.close()


def test_cli_acts_on_the_shared_store(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = redis_prefix.rstrip(":")
    monkeypatch.setenv("NORTHBOUND_REDIS_URL", redis_url)
    monkeypatch.setenv("NORTHBOUND_WAITING_ROOM__REDIS_PREFIX", prefix)
    runner = CliRunner()
    try:
        for args, key, expected in [
            (["open"], '"mode": "on"', True), (["pause"], '"paused": true', True),
            (["resume"], '"paused": false', True),
            (["set-rate", "90"], '"fixedRatePerMinute": 90', True),
            (["set-rate", "auto"], '"fixedRatePerMinute": null', True),
            (["set-rate", "600", "--cap"], '"admitCapPerMinute": 600', True),
            (["revoke", "17"], '"room": "main"', True), (["close"], '"mode": "off"', True),
            (["status"], '"on": false', True),
        ]:  # fmt: skip
            result = runner.invoke(room_app, [*args, "--json"])
            assert result.exit_code == 0, result.output
            assert (key in result.output) is expected, (args, result.output)
        bad = runner.invoke(room_app, ["set-rate", "lots"])
        assert bad.exit_code == 2

        async def revoked() -> frozenset[int]:
            from northbound.surge.waiting_room.redis_store import RedisStore

            store = RedisStore(aioredis.Redis.from_url(redis_url), room="main", prefix=prefix)
            try:
                return (await store.revoked())[1]
            finally:
                await store.close()

        assert 17 in asyncio.run(revoked())
    finally:
        asyncio.run(delete_keys(redis_url, prefix))


@pytest.fixture
def admin_server() -> Iterator[tuple[str, WaitingRoom]]:
    from northbound.surge.waiting_room import bearer_authorizer, build_admin_app
    from northbound.surge.waiting_room.memory_store import InProcessStore
    from tests.support.clock import FakeClock
    from tests.support.waiting_room import make_room

    room = make_room(InProcessStore(), FakeClock())
    app = build_admin_app(room, bearer_authorizer("cli-token"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", room
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("token", ["cli-token", "wrong"])
def test_cli_talks_to_the_running_server_for_the_in_process_store(
    admin_server: tuple[str, WaitingRoom], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, room = admin_server
    monkeypatch.delenv("NORTHBOUND_REDIS_URL", raising=False)
    monkeypatch.setenv("NORTHBOUND_WAITING_ROOM__ADMIN_TOKEN", token)
    # the CLI adds the mount point the app uses; this server has the admin app at its root
    monkeypatch.setattr("northbound.room_cli.ADMIN_PATH", "")
    result = CliRunner().invoke(room_app, ["pause", "--url", url, "--json"])
    if token == "wrong":
        assert result.exit_code == 1 and "403" in result.output
        assert room.state.paused is False
    else:
        assert result.exit_code == 0 and '"paused": true' in result.output
        assert room.state.paused is True

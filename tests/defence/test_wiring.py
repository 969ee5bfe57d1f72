"""The surge defence as installed in the real site (``northbound.defence``): whether the site
wires its layers the way the README says (order, exempt paths, the operator API and who may use
it). The layers are tested one by one on small ASGI apps under tests/surge/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from northbound.portal.accounts.models import User
from northbound.settings import Settings
from northbound.surge.admission.aside import committed_request, stepped_aside
from northbound.surge.ratelimit.config import RateLimitSettings
from northbound.surge.waiting_room.config import WaitingRoomSettings
from tests.support.accounts import fast_settings, sign_up
from tests.support.apps import TEST_SECRET
from tests.support.defence import (
    ADMIN,
    QUEUED,
    TOKEN,
    TOOL,
    running,
    two_slots,
)

# -- rate limits ------------------------------------------------------------------------------


async def test_default_rate_limit_refuses_a_script_with_429_and_headers(
    default_limits: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = default_limits
    statuses = []
    refusal = None
    for _ in range(160):  # the page class holds 100 tokens and refills 20 per second
        response = await client.get(TOOL)
        statuses.append(response.status_code)
        if response.status_code == 429 and refusal is None:
            refusal = response
    assert statuses[:100] == [200] * 100
    assert refusal is not None, "a client 60 requests past its burst was never refused"
    assert int(refusal.headers["retry-after"]) >= 1
    assert refusal.headers["ratelimit-remaining"] == "0"
    assert "Too many requests" in refusal.text and "Trop de demandes" in refusal.text
    # information pages come from memory before the limiter: still served to this client
    assert (await client.get("/en/")).status_code == 200


async def test_health_and_static_are_never_rate_limited(
    default_limits: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = default_limits
    for _ in range(150):
        assert (await client.get("/healthz")).status_code == 200


async def test_unprotected_site_has_no_surge_layer(
    make_settings: Callable[..., Settings],
) -> None:
    settings = fast_settings(make_settings, protected=False, rate_limit={})
    async with running(settings) as (app, client):
        responses = [await client.get("/en/") for _ in range(150)]
        assert {r.status_code for r in responses} == {200}
        assert "ratelimit-limit" not in responses[0].headers
        tool = await client.get(TOOL)
        assert tool.status_code == 200 and "set-cookie" not in tool.headers
        assert (await client.get(f"{ADMIN}/")).status_code == 404
        assert app.state.defence.room_active is False


# -- the operator API -------------------------------------------------------------------------


async def test_admin_api_refuses_anyone_but_staff(
    make_settings: Callable[..., Settings],
) -> None:
    settings = fast_settings(make_settings, waiting_room={"admin_token": TOKEN, "tick_seconds": 30})
    async with running(settings) as (app, client):
        nobody = await client.get(f"{ADMIN}/")
        assert nobody.status_code == 403
        assert nobody.headers["content-type"].startswith("application/problem+json")
        wrong = await client.get(f"{ADMIN}/", headers={"authorization": "Bearer guess"})
        assert wrong.status_code == 403
        token = await client.post(f"{ADMIN}/pause", headers={"authorization": f"Bearer {TOKEN}"})
        assert token.status_code == 200 and token.json()["paused"] is True

        await sign_up(client, "officer@example.com")  # the room is off: no pass needed
        assert (await client.get(f"{ADMIN}/")).status_code == 403  # signed in, not staff
        async with app.state.db.session() as session, session.begin():
            await session.execute(
                update(User).where(User.email == "officer@example.com").values(is_staff=True)
            )
        assert (await client.get(f"{ADMIN}/")).status_code == 200
        # a cross-site form cannot send JSON: a staff cookie alone does not change anything
        forged = await client.post(
            f"{ADMIN}/resume", content=b"{}", headers={"content-type": "text/plain"}
        )
        assert forged.status_code == 403
        resumed = await client.post(f"{ADMIN}/resume", json={})
        assert resumed.status_code == 200 and resumed.json()["paused"] is False


# -- admission control in front of the routes -------------------------------------------------


async def test_overload_is_shed_with_the_prerendered_503_and_critical_goes_first(
    make_settings: Callable[..., Settings],
) -> None:
    settings = fast_settings(
        make_settings,
        waiting_room={"enabled": False},
        lab={"backend": True, "backend_concurrency": 4, "backend_service_seconds": 0.3},
        admission=two_slots(max_queue=0),
    )
    async with running(settings) as (app, client):
        many = await asyncio.gather(*(client.get("/lab/case") for _ in range(6)))
        statuses = sorted(r.status_code for r in many)
        # sheddable (anonymous) requests may fill ceil(0.7 x 2) = 2 slots; the rest are shed
        assert statuses == [200, 200, 503, 503, 503, 503]
        admission = settings.admission
        centre, spread = admission.retry_after_seconds, admission.retry_after_spread_seconds
        waits = [int(r.headers["retry-after"]) for r in many if r.status_code == 503]
        # refused together, told to come back at different times (around the setting)
        assert all(centre - spread <= wait <= centre + spread for wait in waits)
        assert len(set(waits)) == len(waits)
        canned = app.state.defence.admission.limiter  # same limiter the room reads
        assert canned.limit == 2
        again = await client.get("/lab/case", headers={"accept": "application/json"})
        assert again.status_code == 200
        api = await asyncio.gather(
            *(client.get("/lab/case", headers={"accept": "application/json"}) for _ in range(4))
        )
        refused = [r for r in api if r.status_code == 503]
        assert refused and refused[0].headers["content-type"].startswith("application/problem+json")
        # health checks bypass admission control even while it sheds
        busy = [asyncio.create_task(client.get("/lab/case")) for _ in range(2)]
        await asyncio.sleep(0.05)
        assert (await client.get("/readyz")).status_code == 200
        await asyncio.gather(*busy)


# -- what the review of the wiring found ------------------------------------------------------


async def test_every_request_feeds_the_accept_queue_drain_rate(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """Cached pages, waiting pages and refusals leave the kernel's queue too: a drain rate
    that only saw admitted requests would read a short queue as a long wait."""
    app, client = room_on
    monitor = app.state.defence.admission.accept_queue
    seen = []
    monitor.arrived = lambda: seen.append(1)
    for _ in range(5):
        await client.get("/en/")  # cached page, answered before admission control
    await client.get(QUEUED)  # the waiting page, answered by the room
    assert len(seen) == 6


async def test_password_hashing_is_told_of_admission_control(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """A request queued for a hash gives its slot back meanwhile, and the request that ends a
    wait in the room is never refused by the hashing pool (aside.py)."""
    app, _ = room_on
    pool = app.state.accounts.hashing.pool
    assert pool.step_aside is stepped_aside and pool.committed is committed_request


async def test_readiness_probes_share_one_database_ping(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(fast_settings(make_settings)) as (app, client):
        pings = []
        real_ping = app.state.db.ping

        async def counted(seconds: float) -> None:
            pings.append(1)
            await real_ping(seconds)

        app.state.db.ping = counted
        answers = await asyncio.gather(*(client.get("/readyz") for _ in range(30)))
        assert {a.status_code for a in answers} == {200}
        assert len(pings) == 1


def test_only_network_errors_count_as_a_database_outage() -> None:
    import errno

    from northbound.storage.database import is_outage

    assert is_outage(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert is_outage(OSError(errno.EHOSTUNREACH, "no route to host"))
    assert is_outage(TimeoutError())
    assert not is_outage(OSError(errno.ENOSPC, "no space left on device"))
    assert not is_outage(PermissionError(errno.EACCES, "permission denied"))


def test_the_site_keeps_its_own_redis_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The layers' default key prefixes name no site; the site's settings name its own, and
    keep them when another setting of the same layer comes from the environment (a nested
    value replaces the whole default object, so the default must be the site's class)."""
    assert RateLimitSettings().redis_prefix.startswith("surge:")
    assert WaitingRoomSettings().redis_prefix.startswith("surge:")
    monkeypatch.setenv("NORTHBOUND_WAITING_ROOM__MODE", "on")
    monkeypatch.setenv("NORTHBOUND_RATE_LIMIT__ENABLED", "false")
    settings = Settings(data_dir=tmp_path, secret_key=TEST_SECRET)
    assert settings.waiting_room.mode == "on" and not settings.rate_limit.enabled
    assert settings.waiting_room.redis_prefix == "nb:room"
    assert settings.rate_limit.redis_prefix == "northbound:ratelimit:"

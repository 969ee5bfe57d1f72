"""The surge defence as installed in the real site (``northbound.defence``).

The layers are tested one by one in the other files of this folder on small ASGI apps; here the
question is whether the site wires them the way the README says: order, exempt paths, the
switch, the operator API and who may use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import update

from northbound.app import create_app
from northbound.defence import STATELESS
from northbound.portal.accounts.models import User
from northbound.settings import Settings
from northbound.surge.admission import AdmissionControlMiddleware
from northbound.surge.admission.priority import Priority
from northbound.surge.ratelimit.config import RateLimitSettings
from northbound.surge.waiting_room import WaitingRoomMiddleware
from northbound.surge.waiting_room.config import WaitingRoomSettings
from tests.support.accounts import FAST_HASHING, HOME, sign_up
from tests.support.apps import (
    ROOMY_RATE_LIMITS,
    STEADY_SURGE,
    TEST_SECRET,
    layer_of,
    migrated,
)
from tests.support.asgi import http_scope
from tests.support.text import found

ADMIN = "/api/v1/admin/room"
TOKEN = "operator-token-for-tests"
TOOL = "/en/eligibility/crs-calculator"
# The room queues the site's stateful pages; the enquiry form stores what it is sent.
QUEUED = "/en/contact-us"
# Only the limit and the queue decide in these tests: a busy test machine's event-loop lag
# must not shed requests the test expects to be served.
CALM = {"loop_lag_threshold_seconds": 3600, "accept_queue_max_wait_seconds": 0}


def two_slots(*, max_queue: int) -> dict[str, object]:
    """Admission control with room for two requests, so a handful of them overloads it."""
    return {"algorithm": "fixed", "initial_limit": 2, "min_limit": 1, "max_queue": max_queue,
            **CALM}  # fmt: skip


CLIENT_ERROR = re.compile(r"^4\d\d$")


def build(make_settings: Callable[..., Settings], **overrides: object) -> Settings:
    settings = make_settings(accounts=FAST_HASHING, **overrides)
    migrated(settings)
    return settings


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c


@pytest.fixture
async def default_limits(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = build(make_settings, rate_limit={})  # the shipped defaults
    async with running(settings) as pair:
        yield pair


@pytest.fixture
async def room_on(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = build(
        make_settings,
        waiting_room={"mode": "on", "admin_token": TOKEN, "tick_seconds": 30},
        # a fixed limit: the inlet's budget must not depend on how loaded the test machine is
        admission=STEADY_SURGE["admission"],
    )
    async with running(settings) as (app, client):
        paused = await client.post(f"{ADMIN}/pause", headers={"authorization": f"Bearer {TOKEN}"})
        assert paused.status_code == 200, paused.text
        yield app, client


async def resume(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The operator resumes the paused room and the inlet runs for a second: it lets people
    in at a rate, so a tick right after another owes nobody yet."""
    await client.post(f"{ADMIN}/resume", headers={"authorization": f"Bearer {TOKEN}"})
    await app.state.defence.room.tick()
    await asyncio.sleep(1.1)
    await app.state.defence.room.tick()


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
    settings = build(make_settings, protected=False, rate_limit={})
    async with running(settings) as (app, client):
        responses = [await client.get("/en/") for _ in range(150)]
        assert {r.status_code for r in responses} == {200}
        assert "ratelimit-limit" not in responses[0].headers
        tool = await client.get(TOOL)
        assert tool.status_code == 200 and "set-cookie" not in tool.headers
        assert (await client.get(f"{ADMIN}/")).status_code == 404
        assert app.state.defence.room_active is False


# -- the waiting room in front of the portal ---------------------------------------------------


async def test_room_on_queues_dynamic_pages_but_not_information(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = room_on
    waiting = await client.get(QUEUED)
    assert waiting.status_code == 200
    assert waiting.headers["cache-control"] == "no-store"
    assert 'http-equiv="refresh"' in waiting.text
    assert "<h1>Contact us</h1>" not in waiting.text  # not the form itself
    assert client.cookies.get("nb_vid") and client.cookies.get("nb_room_main")
    # the information pages, static files and health stay open to people in line
    info = await client.get("/en/")
    assert info.status_code == 200 and 'http-equiv="refresh"' not in info.text
    css = re.search(r'href="(/static/[^"]+\.css)"', info.text)
    assert css is not None
    assert (await client.get(css.group(1))).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    # the page offers the eligibility tools, which the room leaves open: the link leads there
    tools = re.search(r'tools stay open too: <a href="([^"]+)"', waiting.text)
    assert tools is not None
    client.cookies.clear()
    page = await client.get(tools.group(1))
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text


@pytest.mark.parametrize(
    ("method", "path", "body", "shows"),
    [
        ("GET", TOOL, None, "Comprehensive Ranking System"),
        ("GET", "/fr/admissibilite/decouvrez", None, "admissibilit"),
        ("GET", "/en/search?q=work+permit", None, "work permit"),
        ("GET", "/en/check-processing-times", None, "processing time"),
        ("GET", "/api/v1/processing-times", None, "estimates"),
        ("POST", "/api/v1/eligibility/crs", {"age": 29}, "detail"),  # judged by the tool
    ],
)
async def test_room_on_serves_what_is_worked_out_from_the_request_alone(
    room_on: tuple[FastAPI, httpx.AsyncClient],
    method: str,
    path: str,
    body: dict[str, object] | None,
    shows: str,
) -> None:
    """The tools, processing times and search store nothing and cost the loop a few
    milliseconds: people reach them while the room is on and closed, without a place in line."""
    _, client = room_on
    assert 'http-equiv="refresh"' in (await client.get(QUEUED)).text  # the room is on
    client.cookies.clear()
    response = await client.request(method, path, json=body)
    assert response.status_code in (200, 422), response.status_code
    assert "inWaitingRoom" not in response.text and 'http-equiv="refresh"' not in response.text
    assert shows.lower() in response.text.lower()
    assert "nb_room_main" not in response.headers.get("set-cookie", "")


async def test_the_site_ranks_what_the_room_leaves_open_with_the_people_inside(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """Wiring: the pages the room does not queue are NORMAL for admission control, whatever
    the method; the site's stateful forms stay CRITICAL and anonymous page views SHEDDABLE."""
    app, _ = room_on
    classify = layer_of(app, AdmissionControlMiddleware).classify
    for path in STATELESS:
        assert classify(http_scope("POST", path)) is Priority.NORMAL, path
        assert classify(http_scope("GET", path)) is Priority.NORMAL, path
    assert classify(http_scope("POST", QUEUED)) is Priority.CRITICAL
    assert classify(http_scope("GET", QUEUED)) is Priority.SHEDDABLE


async def test_the_room_reads_its_people_from_the_admission_control_it_is_behind(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """Wiring: the room reads the load and refusals of the people it let in (the inlet's
    ``holders_*``) from the admission control that serves them, the layer behind its gate."""
    app, _ = room_on
    gate = layer_of(app, WaitingRoomMiddleware)
    admission = layer_of(gate.app, AdmissionControlMiddleware)
    assert gate.room.capacity is admission.limiter


async def test_room_on_answers_api_clients_with_json_429(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = room_on
    response = await client.post("/api/v1/session", json={}, headers={"accept": "application/json"})
    # a POST without a session is a newcomer: it queues like any other
    assert response.status_code == 429
    body = response.json()
    assert body["inWaitingRoom"] is True and body["position"] >= 1
    assert int(response.headers["retry-after"]) == body["refreshSeconds"]


@pytest.mark.parametrize(
    "spelling",
    [
        "/EN/Contact-Us",
        "/en/contact-us/",
        "/static/../en/contact-us",
        "/en//%63ontact-us",
        "/en/eligibility/../contact-us",
    ],
)
async def test_odd_spellings_do_not_walk_around_the_room(
    room_on: tuple[FastAPI, httpx.AsyncClient], spelling: str
) -> None:
    _, client = room_on
    response = await client.get(spelling)
    assert "<h1>Contact us</h1>" not in response.text
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert 'http-equiv="refresh"' in response.text


async def test_signed_in_form_post_is_never_swallowed_by_the_room(
    make_settings: Callable[..., Settings],
) -> None:
    settings = build(make_settings, waiting_room={"admin_token": TOKEN, "tick_seconds": 30})
    async with running(settings) as (_, client):
        await sign_up(client, "midway@example.com")  # room off: signs up normally
        await client.post(f"{ADMIN}/open", headers={"authorization": f"Bearer {TOKEN}"})
        await client.post(f"{ADMIN}/pause", headers={"authorization": f"Bearer {TOKEN}"})
        client.cookies.delete("nb_room_main")  # e.g. signed in on another instance
        page = await client.get(HOME["en"])
        assert 'http-equiv="refresh"' in page.text  # a GET without a pass waits
        posted = await client.post(
            "/en/account/applications/new", data={"kind": "citizenship", "csrf_token": "x"}
        )
        # reached the portal, which judged the form itself (CSRF), instead of a waiting page
        assert 'http-equiv="refresh"' not in posted.text
        assert CLIENT_ERROR.match(str(posted.status_code)), posted.status_code


@pytest.mark.parametrize(
    ("path", "cookie", "content_type"),
    [
        ("/api/v1/session", "A" * 43, "application/json"),  # API: retries
        ("/en/account/sign-in", "forged", "application/x-www-form-urlencoded"),  # not a token
        ("/en/account/sign-in", "A" * 43, "application/json"),  # not a browser form
        ("/en/account/sign-in", "", "application/x-www-form-urlencoded"),  # no session
    ],
)
async def test_only_well_formed_signed_in_form_posts_skip_the_room(
    room_on: tuple[FastAPI, httpx.AsyncClient], path: str, cookie: str, content_type: str
) -> None:
    _, client = room_on
    if cookie:
        client.cookies.set("nb_session", cookie)
    response = await client.post(path, content=b"{}", headers={"content-type": content_type})
    assert response.status_code in (200, 429)  # the waiting page or its JSON twin
    assert "refresh" in response.text.lower() or response.json()["inWaitingRoom"] is True


async def test_resumed_room_lets_the_visitor_in_with_a_pass(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = room_on
    assert 'http-equiv="refresh"' in (await client.get(QUEUED)).text
    await resume(app, client)
    admitted = await client.get(QUEUED)
    assert admitted.status_code == 200
    assert "<h1>Contact us</h1>" in admitted.text
    assert "nb_room_main=" in admitted.headers["set-cookie"]


async def test_switching_language_in_line_lets_the_visitor_in_to_the_twin_page(
    room_on: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = room_on
    waiting = await client.get(QUEUED + "?from=line")
    switch = html.unescape(found(r'hreflang="fr" href="([^"]+)"', waiting.text))
    in_french = await client.get(switch)
    assert in_french.status_code == 200 and '<html lang="fr">' in in_french.text
    await resume(app, client)
    admitted = await client.get(switch)
    assert admitted.status_code == 303
    assert admitted.headers["location"] == "/fr/nous-joindre?from=line"
    assert "<h1>Nous joindre</h1>" in (await client.get(admitted.headers["location"])).text
    # and back: a French page asked for, English chosen in line
    back = await client.get("/waiting-room?lang=en&next=/fr/recherche%3Fq%3Dpermis")
    assert back.headers["location"] == "/en/search?q=permis"


# -- the operator API -------------------------------------------------------------------------


async def test_admin_api_refuses_anyone_but_staff(
    make_settings: Callable[..., Settings],
) -> None:
    settings = build(make_settings, waiting_room={"admin_token": TOKEN, "tick_seconds": 30})
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
    settings = build(
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


# -- the room switches itself on and off ------------------------------------------------------


async def test_room_turns_on_when_admission_saturates_and_off_when_drained(
    make_settings: Callable[..., Settings],
) -> None:
    settings = build(
        make_settings,
        waiting_room={"tick_seconds": 30, "drain_seconds": 0},
        lab={"backend": True, "backend_concurrency": 2, "backend_service_seconds": 0.4},
        admission=two_slots(max_queue=4),
    )
    async with running(settings) as (app, client):
        room = app.state.defence.room
        assert not room.is_on()
        crowd = [asyncio.create_task(client.get("/lab/case")) for _ in range(5)]
        await asyncio.sleep(0.1)  # two in flight, the rest queued: saturated, nobody refused
        assert app.state.defence.admission.limiter.saturated
        await room.tick()
        assert not room.is_on()  # a queue alone is what admission control is there for
        # Seven more at once is more than the site holds whatever became of the first five
        # (two in flight and four queued): three more were once enough, until a slow machine's
        # tick outlasted a service time and the queue had room again by the time they came.
        crowd += [asyncio.create_task(client.get("/lab/case")) for _ in range(7)]
        limiter = app.state.defence.admission.limiter
        for _ in range(100):  # the queue is full: people are turned away (at once, or a little
            if limiter.shed_total:  # later on a busy machine)
                break
            await asyncio.sleep(0.01)
        assert limiter.shed_total > 0
        await room.tick()
        assert room.is_on()
        newcomer = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        async with newcomer:
            assert 'http-equiv="refresh"' in (await newcomer.get(QUEUED)).text
        await asyncio.gather(*crowd)
        # calm again: the inlet lets the newcomer in, the line is empty, the room turns off
        await asyncio.sleep(limiter.saturation_hold + 0.05)
        assert not limiter.saturated
        await room.tick()
        await room.tick()
        assert room.state.live_waiting == 0
        assert not room.is_on()


# -- several instances of the site share one line through Redis -------------------------------


@pytest.mark.redis
async def test_two_site_instances_share_one_line_in_redis(
    make_settings: Callable[..., Settings], redis_url: str, redis_prefix: str
) -> None:
    shared = {
        "redis_url": redis_url,
        "waiting_room": {
            "mode": "on",
            "tick_seconds": 30,
            "redis_prefix": f"{redis_prefix}room",
            "admin_token": TOKEN,
        },
        "rate_limit": {**ROOMY_RATE_LIMITS, "redis_prefix": f"{redis_prefix}rl:"},
    }
    try:
        async with (
            running(build(make_settings, **shared)) as (_, first),
            running(build(make_settings, **shared)) as (_, second),
        ):
            await first.post(f"{ADMIN}/pause", headers={"authorization": f"Bearer {TOKEN}"})
            positions = []
            for n in range(6):  # six people, each arriving at whichever instance is next
                here, there = (first, second) if n % 2 == 0 else (second, first)
                json = {"accept": "application/json"}
                here.cookies.clear()
                body = (await here.get(QUEUED, headers=json)).json()
                positions.append(body["position"])
                # the same person (same cookies) polling the other instance keeps the place
                there.cookies = here.cookies
                again = (await there.get(QUEUED, headers=json)).json()
                assert again["position"] == body["position"]
            assert positions == sorted(positions) and len(set(positions)) == 6
            assert positions[-1] - positions[0] == 5
    finally:
        client = aioredis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


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


async def test_readiness_probes_share_one_database_ping(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(build(make_settings)) as (app, client):
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

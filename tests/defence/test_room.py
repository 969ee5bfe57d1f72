"""The waiting room in front of the real site: what it queues and what it leaves open, switching
itself on and off with admission control, several instances sharing one line through Redis."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from northbound.defence import STATELESS
from northbound.settings import Settings
from northbound.surge.admission import AdmissionControlMiddleware
from northbound.surge.admission.priority import Priority
from northbound.surge.waiting_room import WaitingRoomMiddleware
from tests.support.accounts import HOME, fast_settings, sign_up
from tests.support.apps import (
    ROOMY_RATE_LIMITS,
    layer_of,
)
from tests.support.asgi import http_scope
from tests.support.defence import (
    ADMIN,
    CLIENT_ERROR,
    QUEUED,
    TOKEN,
    TOOL,
    resume,
    running,
    two_slots,
)
from tests.support.text import found

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
    settings = fast_settings(make_settings, waiting_room={"admin_token": TOKEN, "tick_seconds": 30})
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


# -- the room switches itself on and off ------------------------------------------------------


async def test_room_turns_on_when_admission_saturates_and_off_when_drained(
    make_settings: Callable[..., Settings],
) -> None:
    settings = fast_settings(
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
            running(fast_settings(make_settings, **shared)) as (_, first),
            running(fast_settings(make_settings, **shared)) as (_, second),
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

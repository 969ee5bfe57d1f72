"""The gate and the waiting page as a browser and a JSON client meet them; the admin API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from northbound.lab.browser import estimate_from_text
from northbound.surge.admission import AdmissionControlMiddleware, FixedLimit, Limiter, Priority
from northbound.surge.language import Lang
from northbound.surge.waiting_room import (
    SCOPE_KEY,
    Controls,
    WaitingRoom,
    WaitingRoomMiddleware,
    build_admin_app,
)
from northbound.surge.waiting_room.admin import bearer_authorizer
from northbound.surge.waiting_room.memory_store import InProcessStore
from northbound.surge.waiting_room.wording import format_duration
from tests.support.clock import FakeClock
from tests.support.waiting_room import make_room, switch_on, tick_and_let_in


class EchoApp:
    """Says which pass it saw, so tests can check what the gate put in the scope."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        claims = scope.get(SCOPE_KEY)
        body = f"served pass={claims.position if claims else None}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def site() -> AsyncIterator[tuple[WaitingRoom, FakeClock, httpx.AsyncClient]]:
    clock = FakeClock()
    room = make_room(InProcessStore(), clock, session_seconds=600)
    await switch_on(room, paused=True)
    gate = WaitingRoomMiddleware(
        EchoApp(), room=room, exempt_prefixes=["/static/", "/healthz"], cookie_prefix="nb_"
    )
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        yield room, clock, client


async def _admit_everyone(room: WaitingRoom, clock: FakeClock) -> None:
    await room.store.update_controls(Controls(paused=False, fixed_rate_per_minute=60_000))
    clock.advance(1)
    await tick_and_let_in(room, clock)


def _single(pattern: str, text: str) -> str:
    found = re.findall(pattern, text)
    assert len(found) == 1, (pattern, found)
    return str(found[0])


async def test_browser_waits_then_gets_in_with_a_pass(site: Any) -> None:
    room, clock, client = site
    response = await client.get("/apply/form?step=2")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert '<html lang="en">' in page
    assert page.count("<h1>") == 1 and "<main" in page and "<header>" in page
    refresh = int(_single(r'http-equiv="refresh" content="(\d+)"', page))
    assert 4 <= refresh <= 6  # near the front: short, jittered
    assert f"about every {refresh} seconds" in page  # the refresh is announced
    assert "Your place in line: <strong>1</strong>" in page
    assert 'href="/en/"' in page and 'lang="fr"' in page
    assert "next=/apply/form%3Fstep%3D2" in page
    again = await client.get("/apply/form?step=2")
    assert "Your place in line: <strong>1</strong>" in again.text  # same place
    await _admit_everyone(room, clock)
    admitted = await client.get("/apply/form?step=2")
    assert admitted.text == "served pass=1"
    assert "nb_room_main=" in admitted.headers["set-cookie"]
    assert (await client.get("/anything")).text == "served pass=1"


async def test_the_page_offers_the_tools_the_site_leaves_open() -> None:
    """Someone in line to apply may check their eligibility meanwhile: the page says so, in
    their language, when the site names its tools (and says nothing of tools otherwise)."""
    clock = FakeClock()
    room = make_room(InProcessStore(), clock)
    await switch_on(room, paused=True)
    tools: dict[Lang, str] = {"en": "/en/tools/", "fr": "/fr/outils/"}
    with_tools = WaitingRoomMiddleware(EchoApp(), room=room, tool_links=tools)
    without = WaitingRoomMiddleware(EchoApp(), room=room)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=with_tools), base_url="http://site"
    ) as client:
        english = (await client.get("/apply")).text
        french = (await client.get("/fr/demande")).text  # the same visitor, polling in French
    assert 'tools stay open too: <a href="/en/tools/">' in english
    assert (
        'outils d’admissibilité restent aussi accessibles\u00a0: <a href="/fr/outils/">' in french
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=without), base_url="http://site"
    ) as client:
        plain = (await client.get("/apply")).text
    assert "Your place in line" in plain and "tools" not in plain


async def test_json_clients_get_429_with_retry_after(site: Any) -> None:
    _, _, client = site
    await client.get("/apply")  # someone ahead
    client.cookies.clear()
    api = await client.get("/api/v1/status")
    client.cookies.clear()
    fresh = await client.get("/search", headers={"accept": "application/json"})
    for reply in (api, fresh):
        assert reply.status_code == 429
        body = reply.json()
        assert set(body) >= {"inWaitingRoom", "position", "ahead", "estimatedWaitSeconds",
                             "refreshSeconds"}  # fmt: skip
        assert body["inWaitingRoom"] is True and body["ahead"] == body["position"] - 1
        assert reply.headers["retry-after"] == str(body["refreshSeconds"])
        assert body["position"] > 1


async def test_french_page_by_path_and_by_accept_language(site: Any) -> None:
    _, _, client = site
    by_path = await client.get("/fr/demande")
    assert '<html lang="fr">' in by_path.text and "Votre place dans la file" in by_path.text
    assert 'lang="en"' in by_path.text and ">English</a>" in by_path.text
    client.cookies.clear()
    by_header = await client.get("/apply", headers={"accept-language": "en;q=0.3, fr-CA"})
    assert '<html lang="fr">' in by_header.text


async def test_estimate_and_range_shown_once_the_line_moves(site: Any) -> None:
    room, clock, client = site
    crowd = [httpx.AsyncClient(transport=client._transport, base_url="http://site")
             for _ in range(30)]  # fmt: skip
    for other in crowd:
        await other.get("/apply")
    await room.store.update_controls(Controls(paused=False, fixed_rate_per_minute=60))
    for _ in range(20):
        clock.advance(1)
        await room.tick()
    page = (await client.get("/apply")).text
    assert "Estimated wait: <strong>about" in page
    assert "based on how fast the line moved" in page
    for other in crowd:
        await other.aclose()


async def test_room_page_without_refresh_and_safe_return(site: Any) -> None:
    room, clock, client = site
    quiet = await client.get("/waiting-room", params={"refresh": "off", "next": "//evil.example"})
    assert quiet.status_code == 200
    assert 'http-equiv="refresh"' not in quiet.text
    assert "Check my place now" in quiet.text
    assert "evil" not in quiet.text
    await _admit_everyone(room, clock)
    done = await client.get("/waiting-room", params={"next": "//evil.example"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    back = await client.get("/waiting-room", params={"next": "/apply?x=1"})
    assert back.status_code == 303 and back.headers["location"] == "/apply?x=1"


async def test_pass_is_renewed_when_half_used_and_expires_otherwise(site: Any) -> None:
    room, clock, client = site
    await client.get("/apply")
    await _admit_everyone(room, clock)
    assert (await client.get("/apply")).text == "served pass=1"
    clock.advance(200)
    assert "set-cookie" not in (await client.get("/apply")).headers
    clock.advance(150)  # more than half of 600 s gone: renewed
    renewed = await client.get("/apply")
    assert "nb_room_main=" in renewed.headers.get("set-cookie", "")
    clock.advance(590)  # still valid thanks to the renewal
    assert (await client.get("/apply")).text == "served pass=1"
    clock.advance(601)  # unused for a whole session: gone, back in line
    await room.store.update_controls(Controls(paused=True))
    await room.tick()
    assert (await client.get("/apply")).text.startswith("<!doctype html>")


async def test_exempt_paths_and_head_requests(site: Any) -> None:
    _, _, client = site
    assert (await client.get("/static/app.css")).text == "served pass=None"
    assert (await client.get("/healthz")).text == "served pass=None"
    head = await client.head("/apply")
    assert head.status_code == 200 and head.content == b""


async def _room_off() -> tuple[WaitingRoom, httpx.ASGITransport]:
    """A room switched off, behind its gate."""
    room = make_room(InProcessStore(), FakeClock())
    await room.store.update_controls(Controls(mode="off"))
    await room.tick()
    gate = WaitingRoomMiddleware(EchoApp(), room=room, cookie_prefix="nb_")
    return room, httpx.ASGITransport(app=gate)


async def test_room_off_hands_out_passes_without_waiting() -> None:
    _, transport = await _room_off()
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        assert (await client.get("/apply")).text == "served pass=1"
        assert (await client.get("/apply")).text == "served pass=1"


async def test_room_off_lets_cookie_less_json_calls_through_without_a_place() -> None:
    """A script calling the API keeps no cookie: while the room is off it costs no place and
    no signed pass; a browser's page still gets its pass; once the room is on, the script
    queues like everyone."""
    room, transport = await _room_off()
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as script:
        for _ in range(3):
            response = await script.post("/api/v1/score", json={}, headers={"cookie": ""})
            assert response.text == "served pass=None"
            assert "set-cookie" not in response.headers
        json_accept = {"accept": "application/json"}
        assert (await script.get("/apply", headers=json_accept)).text == "served pass=None"
        script.cookies.clear()
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as browser:
        assert (await browser.get("/apply")).text == "served pass=1"  # the first place
        api = await browser.post("/api/v1/score", json={})  # with the page's cookies
        assert api.text == "served pass=1"
    await switch_on(room, paused=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as script:
        queued = await script.post("/api/v1/score", json={})
        assert queued.status_code == 429 and "nb_room_" in queued.headers["set-cookie"]


class BrokenStore(InProcessStore):
    async def join(self, *, free_flow: bool, epoch: int) -> tuple[int, bool]:
        raise ConnectionError("store down")


async def test_store_outage_is_a_503_never_a_500() -> None:
    clock = FakeClock()
    room = make_room(BrokenStore(), clock)
    await switch_on(room)
    gate = WaitingRoomMiddleware(EchoApp(), room=room, cookie_prefix="nb_")
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        response = await client.get("/apply")
        assert response.status_code == 503 and response.headers["retry-after"] == "30"


@pytest.fixture
async def admin() -> AsyncIterator[tuple[WaitingRoom, httpx.AsyncClient]]:
    room = make_room(InProcessStore(), FakeClock())
    await room.tick()
    app = build_admin_app(room, bearer_authorizer("staff-token"))
    transport = httpx.ASGITransport(app=app)
    headers = {"authorization": "Bearer staff-token"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://site", headers=headers
    ) as client:
        yield room, client


async def test_admin_api_controls_the_room(admin: Any) -> None:
    room, client = admin
    status = (await client.get("/")).json()
    assert status["mode"] == "auto" and status["on"] is False
    assert (await client.post("/open")).json()["on"] is True
    assert (await client.post("/pause")).json()["paused"] is True
    assert (await client.post("/resume")).json()["paused"] is False
    assert (await client.post("/rate", json={"perMinute": 90})).json()["fixedRatePerMinute"] == 90
    cleared = await client.post("/rate", json={"perMinute": None})
    assert cleared.json()["fixedRatePerMinute"] is None
    assert (await client.post("/cap", json={"perMinute": 600})).json()["admitCapPerMinute"] == 600
    scheduled = await client.post("/schedule", json={"opensAt": "2030-01-01T18:00:00Z"})
    assert scheduled.json()["opensAt"] == 1893520800.0
    assert (await client.post("/revoke", json={"position": 12})).status_code == 200
    assert 12 in (await room.store.revoked())[1]
    assert (await client.post("/close")).json()["on"] is False


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/rate", b'{"perMinute": -4}'), ("/rate", b'{"perMinute": "fast"}'),
        ("/rate", b"not json"), ("/rate", b"[1]"), ("/revoke", b'{"position": 0}'),
        ("/revoke", b'{"position": true}'), ("/schedule", b'{"opensAt": "tomorrow"}'),
        ("/schedule", b'{"opensAt": "2030-01-01T18:00:00"}'), ("/cap", b"{" * 5000),
    ],
)  # fmt: skip
async def test_admin_api_refuses_bad_input_with_problem_details(
    admin: Any, path: str, body: bytes
) -> None:
    _, client = admin
    response = await client.post(path, content=body)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == response.status_code


async def test_admin_api_is_staff_only(admin: Any) -> None:
    _, client = admin
    for headers in ({"authorization": "Bearer wrong"}, {"authorization": ""}):
        response = await client.post("/close", headers=headers)
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("seconds", "english", "french"),
    [
        (1, "1 second", "1 seconde"),
        (3, "3 seconds", "3 secondes"),
        (9, "9 seconds", "9 secondes"),
        (13, "13 seconds", "13 secondes"),
        (59, "59 seconds", "59 secondes"),
        (62, "60 seconds", "60 secondes"),
        (152, "2 minutes and 30 seconds", "2 minutes et 30 secondes"),
        (196, "3 minutes and 15 seconds", "3 minutes et 15 secondes"),
        (628, "10 minutes", "10 minutes"),
    ],
)
def test_waits_are_worded_to_a_step_under_a_tenth_of_them(
    seconds: int, english: str, french: str
) -> None:
    # a wait of a few seconds was worded "5 seconds" whatever it was (someone let in one
    # second later had been told five), and a 13-second one "15 seconds"
    assert format_duration(seconds, "en") == english
    assert estimate_from_text(format_duration(seconds, "fr")) == estimate_from_text(english)
    assert format_duration(seconds, "fr").replace("\u00a0", " ").replace("\u202f", " ") == french


async def test_admission_control_counts_the_load_of_the_people_the_room_let_in() -> None:
    """Every request served for someone the room let in counts as the line's load, whatever
    the page (the inlet tells it apart from the open pages' by this), as admission control
    counts it, behind the gate; a request for a page that needs no pass, from someone who
    holds none, counts in all only. A request of theirs that admission control sheds counts
    as the line turned away."""
    clock = FakeClock()
    limiter = Limiter(FixedLimit(10), clock=clock, max_queue=0)
    room = make_room(InProcessStore(), clock)
    await room.store.update_controls(Controls(mode="off"))
    await room.tick()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        clock.advance(2.0 if scope["path"] == "/apply" else 3.0)  # served for that long
        await EchoApp()(scope, receive, send)

    gate = WaitingRoomMiddleware(
        AdmissionControlMiddleware(slow, limiter=limiter),
        room=room, exempt_prefixes=["/tools/"], cookie_prefix="nb_",
    )  # fmt: skip
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        assert (await client.get("/apply")).text == "served pass=1"  # let in: the first one
        assert (await client.get("/apply")).text == "served pass=1"  # with the pass
        assert (await client.get("/tools/crs")).text == "served pass=1"  # a holder's, too
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as passer_by:
        assert (await passer_by.get("/tools/crs")).text == "served pass=None"  # not the line's
    assert limiter.holders_busy_seconds == pytest.approx(2.0 + 2.0 + 3.0)
    assert limiter.busy_seconds == pytest.approx(2.0 + 2.0 + 3.0 + 3.0)
    assert limiter.holders_shed_total == 0

    while limiter.try_acquire(Priority.CRITICAL) is not None:  # the site full: all are shed
        pass
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        assert (await client.get("/apply")).status_code == 503  # let in, and turned away
        assert (await client.get("/apply")).status_code == 503  # with the pass it was given
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as passer_by:
        assert (await passer_by.get("/tools/crs")).status_code == 503  # no pass: not the line's
    assert limiter.holders_shed_total == 2
    assert limiter.shed_total == 3

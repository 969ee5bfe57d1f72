"""A person's browser against a small in-process app that plays the busy site: the waiting
page (HTML and JSON twin, rendered by the real WaitingPage), 503 + Retry-After, a form sent
into the line, patience running out. Time is virtual: waits move a clock, nothing sleeps."""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from northbound.lab.browser import (
    AiohttpTransport,
    Behaviour,
    Browser,
    GaveUp,
    estimate_from_text,
    range_from_text,
    waiting_info,
)
from northbound.lab.recorder import Recorder
from northbound.surge.waiting_room.estimator import Estimate
from northbound.surge.waiting_room.page import WaitingPage
from northbound.surge.waiting_room.room import WaitView

PAGE = WaitingPage(
    room_path="/room",
    grace_seconds=300,
    eta_window_seconds=300,
    site_names={"en": "Site", "fr": "Site"},
    info_links={"en": "/", "fr": "/"},
)
VIEW = WaitView(position=1234, ahead=40, estimate=Estimate(180, 120, 240), refresh_seconds=2)


def busy_app() -> Starlette:
    seen: Counter[tuple[str, str]] = Counter()

    async def page(request: Request) -> Response:
        scenario = request.path_params["scenario"]
        visitor = request.cookies.get("v") or secrets.token_hex(4)
        seen[(visitor, scenario)] += 1
        count = seen[(visitor, scenario)]
        response = await answer(request, scenario, count)
        response.set_cookie("v", visitor)
        return response

    async def answer(request: Request, scenario: str, count: int) -> Response:
        waiting_html = Response(
            PAGE.html(VIEW, lang="en", next_path="/"), 200, media_type="text/html"
        )
        if scenario == "room-html":
            return waiting_html if count <= 2 else Response("<p>the page</p>", 200)
        if scenario == "room-search":
            if count <= 1:
                return waiting_html
            return Response(f"<p>results for {request.query_params.get('q')}</p>", 200)
        if scenario == "room-json":
            if count <= 2:
                return Response(
                    PAGE.json(VIEW),
                    429,
                    media_type="application/json",
                    headers={"retry-after": "2"},
                )
            return JSONResponse({"ok": True})
        if scenario == "busy":
            if count == 1:
                return Response("busy", 503, headers={"retry-after": "3"})
            return Response("<p>the page</p>", 200)
        if scenario == "forever":
            return waiting_html
        if scenario == "shed-after-room":
            if count == 1:
                return waiting_html
            if count == 2:
                return Response("shed", 503, headers={"retry-after": "1"})
            return Response("<p>the page</p>", 200)
        if scenario == "form":
            if request.method == "POST" and count == 1:
                return waiting_html  # sent into the line with the form
            if request.method == "POST":
                form = await request.form()
                return Response(f"posted {form.get('x')}", 200)
            return Response("<form>the form again</form>", 200)
        return Response("unknown", 404)

    return Starlette(routes=[Route("/{scenario}", page, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def busy_site() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(busy_app(), host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


class VirtualTime:
    """Waits move this clock forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.base = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.base + self.offset

    async def sleep(self, seconds: float) -> None:
        self.offset += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(local_addr=("127.0.3.7", 0))
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as s:
        yield s


def browser(
    site: str, session: aiohttp.ClientSession, clock: VirtualTime, patience: float = 100.0
) -> Browser:
    return Browser(
        site,
        Recorder(),
        clock.now,
        AiohttpTransport(session),
        Behaviour(),
        patience,
        False,
        sleep=clock.sleep,
    )


def test_the_real_waiting_page_is_read() -> None:
    html = waiting_info(200, "text/html; charset=utf-8", PAGE.html(VIEW, lang="en", next_path="/"))
    assert html is not None
    assert (html.position, html.estimate_seconds, html.refresh_seconds) == (1234, 180.0, 2.0)
    french = waiting_info(200, "text/html", PAGE.html(VIEW, lang="fr", next_path="/"))
    assert french is not None and (french.position, french.estimate_seconds) == (1234, 180.0)
    twin = waiting_info(429, "application/json", PAGE.json(VIEW))
    assert twin is not None and (twin.position, twin.estimate_seconds) == (1234, 180.0)
    assert waiting_info(200, "text/html", b"<p>an ordinary page</p>") is None
    assert estimate_from_text("45 seconds") == 45.0
    assert estimate_from_text("2 minutes et 30 secondes") == 150.0
    assert estimate_from_text("2 h 05 min") == 7500.0


def test_the_range_shown_is_read_in_both_languages_and_the_twin() -> None:
    """The page words its range as "between X and Y", where X and Y may hold an "and" of
    their own; the lab reads it to check whether the waits fell within it."""
    for lang in ("en", "fr"):
        info = waiting_info(200, "text/html", PAGE.html(VIEW, lang=lang, next_path="/"))
        assert info is not None and info.range_seconds == (120.0, 240.0), lang
    twin = waiting_info(429, "application/json", PAGE.json(VIEW))
    assert twin is not None and twin.range_seconds == (120.0, 240.0)
    assert range_from_text("2 minutes and 30 seconds and 3 minutes") == (150.0, 180.0)
    assert range_from_text("2 minutes et 5 secondes et 2 minutes et 30 secondes") == (125.0, 150.0)
    assert range_from_text("1 h 05 et 2 h 10") == (3900.0, 7800.0)
    assert range_from_text("soon and later") is None
    # one figure shown: the range is that figure; a range the lab cannot read is none at all,
    # so the visit is left out of the coverage rather than counted as a miss
    one_figure = WaitView(position=3, ahead=2, estimate=Estimate(9, 9, 9), refresh_seconds=5)
    plain = waiting_info(200, "text/html", PAGE.html(one_figure, lang="en", next_path="/"))
    assert plain is not None and plain.estimate_seconds == 9.0 and plain.range_seconds == (9, 9)
    odd = PAGE.html(VIEW, lang="en", next_path="/").replace(b"(between", b"(between soon or")
    unread = waiting_info(200, "text/html", odd)
    assert unread is not None and unread.estimate_seconds == 180.0
    assert unread.range_seconds is None


async def test_waiting_room_html_is_followed_until_let_in(
    busy_site: str, session: aiohttp.ClientSession
) -> None:
    clock = VirtualTime()
    person = browser(busy_site, session, clock)
    page = await person.get("/room-html")
    assert page.status == 200 and b"the page" in page.body
    [visit] = person.rooms
    assert (visit.position, visit.estimate_seconds) == (1234, 180.0)
    assert (visit.estimate_low_seconds, visit.estimate_high_seconds) == (120.0, 240.0)
    assert visit.admitted_at is not None
    # two refreshes of 2 s (not three): the clock is virtual but adds real time taken
    assert 4.0 <= visit.admitted_at - visit.first_seen < 6.0
    assert not visit.shed_on_admission
    assert person.recorder.outcomes == {"waiting": 2, "useful": 1}


async def test_a_search_keeps_its_query_through_the_room(
    busy_site: str, session: aiohttp.ClientSession
) -> None:
    person = browser(busy_site, session, VirtualTime())
    page = await person.get("/room-search", params={"q": "express entry"})
    assert page.text == "<p>results for express entry</p>"


async def test_the_json_twin_is_polled_with_the_request(
    busy_site: str, session: aiohttp.ClientSession
) -> None:
    clock = VirtualTime()
    person = browser(busy_site, session, clock)
    page = await person.post("/room-json", json={"a": 1}, headers={"Accept": "application/json"})
    assert page.status == 200 and page.json() == {"ok": True}
    assert person.rooms[0].position == 1234
    assert person.recorder.statuses == {"429": 2, "200": 1}


async def test_retry_after_is_waited(busy_site: str, session: aiohttp.ClientSession) -> None:
    clock = VirtualTime()
    person = browser(busy_site, session, clock, patience=10)
    page = await person.get("/busy")
    assert page.status == 200
    assert clock.offset == pytest.approx(3.0)
    assert person.patience == pytest.approx(7.0)
    assert person.recorder.outcomes == {"refused": 1, "useful": 1}


async def test_a_form_sent_into_the_line_is_sent_again_once_let_in(
    busy_site: str, session: aiohttp.ClientSession
) -> None:
    clock = VirtualTime()
    person = browser(busy_site, session, clock)
    page = await person.post("/form", data={"x": "42"})
    assert page.text == "posted 42"
    assert person.rooms[0].admitted_at is not None


async def test_patience_runs_out_in_line(busy_site: str, session: aiohttp.ClientSession) -> None:
    clock = VirtualTime()
    person = browser(busy_site, session, clock, patience=9)
    with pytest.raises(GaveUp):
        await person.get("/forever")
    [visit] = person.rooms
    assert visit.gave_up and visit.admitted_at is None
    assert clock.offset <= 10


async def test_shed_right_after_the_room_is_noted(
    busy_site: str, session: aiohttp.ClientSession
) -> None:
    clock = VirtualTime()
    person = browser(busy_site, session, clock)
    assert (await person.get("/shed-after-room")).status == 200
    assert person.rooms[0].shed_on_admission

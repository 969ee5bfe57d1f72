"""The waiting page in headless Chromium, JavaScript on and off, audited by axe-core."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from northbound.surge.language import Lang
from northbound.surge.waiting_room import (
    Controls,
    KeyRing,
    PassSigner,
    WaitingRoom,
    WaitingRoomMiddleware,
    WaitingRoomSettings,
)
from northbound.surge.waiting_room.memory_store import InProcessStore

pytestmark = pytest.mark.browser
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_JAVASCRIPT: dict[int, bool] = {}  # browser context -> JavaScript enabled


def _room(name: str) -> WaitingRoom:
    # a long refresh, so the page does not reload itself while axe-core audits it
    settings = WaitingRoomSettings(
        name=name, mode="on", path=f"/{name}-room", min_refresh_seconds=90,
        max_refresh_seconds=90, abandon_grace_seconds=600,
    )  # fmt: skip
    return WaitingRoom(settings, InProcessStore(), PassSigner(name, KeyRing([("k", b"k" * 32)])))


async def _prepare(room: WaitingRoom, **controls: Any) -> None:
    """A line of 1,234 people in front, nobody let in (runs in the server's event loop)."""
    await room.store.update_controls(Controls(mode="on", paused=True, **controls))
    await room.tick()
    for index in range(1234):
        await room.visit(None, f"ahead_{index:016d}")
    await room.tick()


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("nobody should get through in this test")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    line_room, pre_room = _room("main"), _room("pre")
    # the line's page offers the tools as the site's does; the pre-queue's page offers none
    tools: dict[Lang, str] = {"en": "/en/eligibility/", "fr": "/fr/admissibilite/"}
    line = WaitingRoomMiddleware(_nothing, room=line_room, tool_links=tools)
    pre = WaitingRoomMiddleware(_nothing, room=pre_room)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await _prepare(line_room)
                await _prepare(pre_room, opens_at=time.time() + 3600)
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"].startswith("/pre"):
            await pre(scope, receive, send)
        else:
            await line(scope, receive, send)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module", params=[True, False], ids=["js-on", "js-off"])
def tab(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(java_script_enabled=request.param)
    _JAVASCRIPT[id(context)] = request.param
    page = context.new_page()
    yield page
    context.close()


def _violations(page: Any, *, refreshing: bool) -> list[str]:
    """axe-core's WCAG 2.1 AA findings.

    axe flags every timed meta refresh (rule ``meta-refresh``, SC 2.2.1) because it cannot see
    how the page lets people control it. The waiting page meets 2.2.1 by the "turn off" option:
    the first paragraph after the heading says it refreshes and how often, and links to the
    same view without refresh, which is audited here with every rule on.
    """
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, Any] = {"runOnly": {"type": "tag", "values": WCAG_AA}}
    if refreshing:
        options["rules"] = {"meta-refresh": {"enabled": False}}
    results = Axe().run(page, options=options)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [
        ("/apply", "en", "You are in line"),
        ("/fr/demande", "fr", "Vous êtes dans la file d’attente"),
        ("/main-room?refresh=off&next=/apply", "en", "You are in line"),
        ("/main-room?refresh=off&lang=fr&next=/apply", "fr", "Vous êtes dans la file d’attente"),
        ("/pre/lottery", "en", "The line opens soon"),
        ("/pre-room?lang=fr&next=/pre/lottery", "fr", "La file ouvre bientôt"),
    ],
)
def test_waiting_pages_are_accessible(
    tab: Any, server: str, path: str, lang: str, heading: str
) -> None:
    tab.context.clear_cookies()
    response = tab.goto(server + path)
    assert response is not None and response.status == 200
    assert tab.get_attribute("html", "lang") == lang
    assert tab.locator("h1").count() == 1
    assert tab.locator("h1").inner_text() == heading
    assert tab.locator("main#main").count() == 1
    assert tab.locator("header nav a").count() == 1  # the other language
    if "pre" not in path:
        ahead = tab.locator(".place strong").nth(1).inner_text()
        assert int(ahead.replace("\u00a0", "").replace(",", "")) >= 1234
    refreshing = tab.locator('meta[http-equiv="refresh"]').count() == 1
    assert refreshing == ("refresh=off" not in path)
    if refreshing:  # announced first, with the way to turn it off
        first = tab.locator("main p").first
        assert "refresh=off" in (first.locator("a").get_attribute("href") or "")
        assert tab.locator("main > *").nth(1).evaluate("e => e.tagName") == "P"
    if _JAVASCRIPT[id(tab.context)]:
        # the page has no script, so its DOM is the same either way; axe-core cannot finish
        # in a JavaScript-off page here (it waits on page timers), so it audits the js-on one
        assert _violations(tab, refreshing=refreshing) == []


def test_language_link_switches_and_keeps_the_place(tab: Any, server: str) -> None:
    tab.context.clear_cookies()
    tab.goto(server + "/apply")
    place = tab.locator(".place strong").first.inner_text()
    tab.locator("header nav a").click()
    assert tab.get_attribute("html", "lang") == "fr"
    assert tab.locator(".place strong").first.inner_text().replace("\u00a0", ",") == place

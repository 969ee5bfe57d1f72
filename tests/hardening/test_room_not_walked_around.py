"""Issue 12, item 2: a made-up session cookie does not get a form past the waiting room."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from northbound.app import create_app
from northbound.portal.accounts.sessions import is_signed, new_token
from northbound.settings import Settings
from tests.support.accounts import fast_settings, sign_up
from tests.support.apps import STEADY_SURGE

ADMIN = "/api/v1/admin/room"
BEARER = {"authorization": "Bearer operator-token"}
# The enquiry form stores what it is sent: the room guards it (the calculators it does not)
ENQUIRY = {"name": "Ana", "email": "ana@example.com", "topic": "other", "message": "Hello"}
FORM = "/en/contact-us"


@pytest.fixture
async def site(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = fast_settings(
        make_settings,
        waiting_room={"admin_token": "operator-token", "tick_seconds": 30},
        admission=STEADY_SURGE["admission"],
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c


async def _close_the_doors(client: httpx.AsyncClient) -> None:
    for action in ("open", "pause"):
        assert (await client.post(f"{ADMIN}/{action}", headers=BEARER)).status_code == 200


def waiting(response: httpx.Response) -> bool:
    return 'http-equiv="refresh"' in response.text


@pytest.mark.parametrize(
    "cookie",
    ["A" * 30, "A" * 43, "A" * 65, new_token(b"another site's secret")],
    # named, not shown: the last one is random, and pytest-xdist workers must agree on the ids
    ids=["30-chars", "43-chars", "65-chars", "signed-by-another-site"],
)
async def test_a_made_up_session_cookie_waits_in_line(
    site: tuple[FastAPI, httpx.AsyncClient], cookie: str
) -> None:
    _, client = site
    await _close_the_doors(client)
    client.cookies.set("nb_session", cookie)
    response = await client.post(FORM, data=ENQUIRY)
    assert waiting(response) and response.status_code == 200


async def test_a_signed_in_persons_form_still_gets_through(
    site: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = site
    await sign_up(client, "typing@example.com")  # room off: signed in normally
    assert is_signed(client.cookies["nb_session"], b"test-secret-key-for-northbound-tests")
    await _close_the_doors(client)
    client.cookies.delete("nb_room_main")
    assert waiting(await client.get(FORM))  # without a pass, a page view waits
    response = await client.post(FORM, data=ENQUIRY)
    # the form itself answered (it wants its CSRF token), not the waiting room
    assert not waiting(response) and response.status_code in (200, 303, 400, 403, 422)

"""The console's pages and controls: staff only, both languages, every action audited, and
figures read from the shared state (two instances on one Redis see each other)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select, update

from northbound.app import create_app
from northbound.ops.console.paths import CONSOLE_PATHS
from northbound.portal.accounts.models import User
from northbound.portal.applications.models import StaffViewAudit
from northbound.settings import Language, Settings
from tests.support.accounts import fast_settings, field_value, sign_up
from tests.support.services import UNREACHABLE_DATABASE

CONSOLE = CONSOLE_PATHS["console"]
NOTICE = CONSOLE_PATHS["notice"]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return fast_settings(make_settings)


async def _make_staff(app: FastAPI, email: str) -> None:
    async with app.state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))


@pytest.fixture
async def staff(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    await sign_up(client, "operator@example.com")
    await _make_staff(app, "operator@example.com")
    yield client


async def _audit(app: FastAPI) -> list[tuple[str, str | None, str | None]]:
    async with app.state.db.session() as session:
        rows = await session.execute(select(StaffViewAudit).order_by(StaffViewAudit.id))
        return [(r.action, r.detail, r.application_id) for r in rows.scalars()]


async def _post(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    html = (await client.get(page + "?refresh=off")).text
    return await client.post(action, data={"csrf_token": field_value(html, "csrf_token"), **data})


async def test_nobody_but_staff_sees_the_console(app: FastAPI, client: httpx.AsyncClient) -> None:
    anonymous = await client.get(CONSOLE["en"])
    assert anonymous.status_code == 303 and "sign-in" in anonymous.headers["location"]
    refused = await client.post(CONSOLE_PATHS["room"]["en"], data={"action": "pause"})
    assert refused.status_code == 403
    await sign_up(client, "applicant@example.com")
    for path in (CONSOLE["en"], CONSOLE["fr"], NOTICE["en"]):
        assert (await client.get(path)).status_code == 404
    post = await client.post(CONSOLE_PATHS["room"]["en"], data={"action": "pause"})
    assert post.status_code == 404
    assert await _audit(app) == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "Operator's console",
                "goodput",
                "Waiting room",
                "Last 30 minutes",
                "instances answering",
                "Pause admissions",
            ],
        ),
        (
            "fr",
            [
                "Console de l'opérateur",
                "débit utile",
                "Salle d'attente",
                "30 dernières minutes",
                "instances qui répondent",
                "Suspendre les admissions",
            ],
        ),
    ],
)
async def test_the_console_in_both_languages(
    staff: httpx.AsyncClient, language: Language, words: list[str]
) -> None:
    page = await staff.get(CONSOLE[language])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text.replace("&#39;", "'")
    for word in words:
        assert word in text, word
    assert re.search(r'<meta http-equiv="refresh" content="15">', page.text)
    assert "refresh" not in (await staff.get(CONSOLE[language] + "?refresh=off")).text.split(
        "</head>"
    )[0].replace("stylesheet", "")
    assert 'role="img"' in page.text  # the charts
    assert f'href="{CONSOLE["fr" if language == "en" else "en"]}"' in page.text


async def test_the_short_address_follows_the_browser_language(client: httpx.AsyncClient) -> None:
    french = await client.get("/staff/console", headers={"accept-language": "fr-CA,fr"})
    assert french.status_code == 303 and french.headers["location"] == CONSOLE["fr"]
    english = await client.get("/staff/console")
    assert english.headers["location"] == CONSOLE["en"]


async def test_room_controls_act_on_the_room_and_are_audited(
    app: FastAPI,
    staff: httpx.AsyncClient,
) -> None:
    room = app.state.defence.room
    moved = await _post(staff, CONSOLE["en"], CONSOLE_PATHS["room"]["en"], {"action": "pause"})
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=room")
    assert (await room.refresh()).paused
    await _post(staff, CONSOLE["fr"], CONSOLE_PATHS["room"]["fr"], {"action": "open"})
    state = await room.refresh()
    assert state.mode == "on"
    capped = await _post(
        staff, CONSOLE["en"], CONSOLE_PATHS["rate"]["en"], {"kind": "cap", "per_minute": "600"}
    )
    assert capped.status_code == 303
    assert (await room.refresh()).admit_cap_per_minute == 600
    await _post(
        staff, CONSOLE["en"], CONSOLE_PATHS["rate"]["en"], {"kind": "cap", "per_minute": ""}
    )
    assert (await room.refresh()).admit_cap_per_minute is None
    audit = await _audit(app)
    assert [action for action, _, _ in audit] == [
        "console:room:pause",
        "console:room:open",
        "console:rate:cap",
        "console:rate:cap",
    ]
    assert audit[2][1] == "cap 600" and audit[3][1] == "cap removed"
    assert all(application is None for _, _, application in audit)
    done = await staff.get(moved.headers["location"])
    assert "The waiting room control was applied." in done.text


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter a whole number of people per minute"),
        ("fr", "Entrez un nombre entier de personnes par minute"),
    ],
)
async def test_bad_control_input_is_a_400_with_a_message(
    app: FastAPI,
    staff: httpx.AsyncClient,
    language: Language,
    message: str,
) -> None:
    bad_rate = await _post(
        staff,
        CONSOLE[language],
        CONSOLE_PATHS["rate"][language],
        {"kind": "fixed", "per_minute": "lots"},
    )
    assert bad_rate.status_code == 400 and message in bad_rate.text.replace("&#39;", "'")
    bad_action = await _post(
        staff, CONSOLE[language], CONSOLE_PATHS["room"][language], {"action": "explode"}
    )
    assert bad_action.status_code == 400
    no_token = await staff.post(CONSOLE_PATHS["room"][language], data={"action": "pause"})
    assert no_token.status_code == 403
    assert await _audit(app) == []  # nothing refused was recorded as done


async def test_the_notice_in_both_languages_is_audited_and_shown(
    app: FastAPI,
    staff: httpx.AsyncClient,
) -> None:
    half = await _post(
        staff,
        NOTICE["fr"],
        NOTICE["fr"],
        {"en": "Very busy tonight.", "fr": "", "level": "warning"},
    )
    assert half.status_code == 400
    assert "avoir un texte anglais et un texte français" in half.text
    saved = await _post(
        staff,
        NOTICE["en"],
        NOTICE["en"],
        {"en": "Very busy tonight.", "fr": "Très achalandé ce soir.", "level": "warning"},
    )
    assert saved.status_code == 303
    home = await staff.get("/fr/")
    assert "Très achalandé ce soir." in home.text
    history = await staff.get(NOTICE["en"])
    assert "operator@example.com" in history.text and "Notice banner published" in history.text
    cleared = await _post(staff, NOTICE["en"], NOTICE["en"], {"clear": "1"})
    assert cleared.status_code == 303
    assert "Très achalandé" not in (await staff.get("/fr/")).text
    assert [a for a, _, _ in await _audit(app)] == ["console:notice:set", "console:notice:clear"]


async def test_two_instances_on_one_redis_see_each_other(
    make_settings: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    shared = {
        "redis_url": redis_url,
        "waiting_room": {"mode": "off", "redis_prefix": redis_prefix + "room"},
    }
    first = fast_settings(make_settings, **shared)
    second = make_settings(**shared, accounts=first.accounts)  # same data dir and database
    app_a, app_b = create_app(first), create_app(second)
    async with LifespanManager(app_a), LifespanManager(app_b):
        names = {app_a.state.console.publisher.name, app_b.state.console.publisher.name}
        transport = httpx.ASGITransport(app=app_b)
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
            await sign_up(client, "night@example.com")
            await _make_staff(app_b, "night@example.com")
            page = await client.get(CONSOLE["en"])
            assert all(name in page.text for name in names), names
            assert "Redis: <strong>ok</strong>" in page.text
            # a control from instance B acts on the line instance A serves
            await _post(client, CONSOLE["en"], CONSOLE_PATHS["room"]["en"], {"action": "pause"})
        assert (await app_a.state.defence.room.refresh()).paused
        await app_a.state.console.store._redis.delete(  # leave nothing behind
            *[key async for key in app_a.state.console.store._redis.scan_iter(f"{redis_prefix}*")]
        )


async def test_probing_a_down_database_never_opens_the_breaker() -> None:
    from northbound.ops.console.probe import database_state
    from northbound.storage.database import Database
    from northbound.surge.breaker import BreakerState

    db = Database(UNREACHABLE_DATABASE)
    try:
        for _ in range(10):  # ten beats of the console: far past any failure threshold
            assert (await database_state(db)).startswith("unavailable")
        assert db.breaker.state is BreakerState.CLOSED
    finally:
        await db.dispose()

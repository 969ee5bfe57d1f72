"""An intake's opening is the waiting room's scheduled opening: creating the intake switches
the room on with a pre-queue until then, and ``northbound lottery schedule-room`` does the
same through the room's admin API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from typer.testing import CliRunner

from northbound.app import create_app
from northbound.cli import cli
from northbound.portal.lottery import service
from northbound.settings import Settings
from tests.portal.lottery.helpers import STAFF, make_staff, sponsor
from tests.support.accounts import fast_settings, post_form

ROOM_ON_SCHEDULE = {"mode": "auto", "admin_token": "room-admin-token-for-tests"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return fast_settings(make_settings, waiting_room=ROOM_ON_SCHEDULE)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


async def test_creating_an_intake_schedules_the_rooms_pre_queue(app: FastAPI) -> None:
    room = app.state.defence.room
    opens_at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    async with sponsor(app, "planner@example.com") as staff:
        await make_staff(app, "planner@example.com")
        created = await post_form(
            staff,
            STAFF["en"],
            {
                "opens_at": opens_at.isoformat(),
                "closes_at": (opens_at + timedelta(days=21)).isoformat(),
                "invitation_target": "10",
                "application_cap": "5",
                "notice_en": "Opens soon.",
                "notice_fr": "Ouvre bientôt.",
            },
        )
        assert created.status_code == 303 and created.headers["location"].endswith("?scheduled=1")
    assert room.state.opens_at == opens_at.timestamp()
    assert room.in_prequeue()
    # a newcomer to a dynamic page joins the pre-queue: no place yet, the opening time
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
        response = await visitor.get(
            "/en/parents-grandparents/1", headers={"accept": "application/json"}
        )
    assert response.status_code == 429
    body = response.json()
    assert body["inWaitingRoom"] is True and body["position"] is None


async def test_schedule_room_command_uses_the_admin_api(
    app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opens_at = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    intake = await service.create_intake(
        app.state.db,
        opens_at=opens_at,
        closes_at=opens_at + timedelta(days=1),
        invitation_target=3,
        application_cap=2,
        notice_en="n",
        notice_fr="n",
        staff_id=None,
        now=datetime.now(UTC),
    )
    calls: list[tuple[str, object]] = []

    def post(self: httpx.Client, url: str, json: object = None, **_: object) -> httpx.Response:
        calls.append((url, json))
        return httpx.Response(200, json={"opensAt": opens_at.timestamp(), "on": True})

    monkeypatch.setattr(httpx.Client, "post", post)
    monkeypatch.setenv("NORTHBOUND_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("NORTHBOUND_WAITING_ROOM__ADMIN_TOKEN", ROOM_ON_SCHEDULE["admin_token"])
    monkeypatch.delenv("NORTHBOUND_REDIS_URL", raising=False)
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["lottery", "schedule-room", "--intake", str(intake.id), "--url", "http://127.0.0.1:9"],
    )
    assert result.exit_code == 0, result.output
    assert calls == [
        ("http://127.0.0.1:9/api/v1/admin/room/schedule", {"opensAt": opens_at.isoformat()})
    ]

"""The lottery's guarantees on the real PostgreSQL server, where transactions really overlap:
double clicks, the same person from two accounts at once, and two staff rounds at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from northbound.app import create_app
from northbound.portal.lottery import draw, service
from northbound.portal.lottery.models import Entry, Invitation, Refusal
from northbound.settings import Settings
from northbound.storage import migrate
from tests.portal.lottery.helpers import FORM, answers, clock, open_intake, send_form, sponsor
from tests.support.accounts import FAST_HASHING, tokens

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_app(
    make_settings: Callable[..., Settings], postgres_url: str
) -> AsyncIterator[FastAPI]:
    settings = make_settings(accounts=FAST_HASHING, database_url=postgres_url)
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


async def _count(app: FastAPI, model: type) -> int:
    async with app.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_overlapping_submissions_store_each_sponsor_once(pg_app: FastAPI) -> None:
    fake = clock(pg_app)
    intake = await open_intake(pg_app, fake)
    path = FORM["en"].format(id=intake.id)
    async with (
        sponsor(pg_app, "a@example.com") as first,
        sponsor(pg_app, "b@example.com") as second,
        sponsor(pg_app, "c@example.com") as third,
    ):
        # five clicks of the same form at once: one form, one number
        page_tokens = await tokens(first, path)
        clicks = await asyncio.gather(
            *(first.post(path, data={**page_tokens, **answers(1)}) for _ in range(5))
        )
        assert {r.status_code for r in clicks} == {303}
        # one person from two accounts at the same moment: one form kept, one refused
        results = await asyncio.gather(
            send_form(second, intake.id, answers(3, email="b@example.com")),
            send_form(
                third,
                intake.id,
                answers(3, email="c@example.com", status_document_number="PR33333333"),
            ),
        )
        assert sorted(r.status_code for r in results) == [303, 409]
    async with pg_app.state.db.session() as session:
        users = list((await session.execute(select(Entry.user_id))).scalars())
    assert len(users) == len(set(users)) == 2  # never two forms for one sponsor
    assert await _count(pg_app, Refusal) == 1


async def test_two_rounds_at_once_never_invite_anyone_twice(pg_app: FastAPI) -> None:
    fake = clock(pg_app)
    intake = await open_intake(pg_app, fake)
    for n in range(6):
        async with sponsor(pg_app, f"r{n}@example.com") as client:
            assert (await send_form(client, intake.id, answers(n))).status_code == 303
    db = pg_app.state.db
    await service.close_intake(db, intake.id, None, fake.now)
    for item in await service.flags_of(db, intake.id):
        await service.decide_flag(db, intake.id, item.flag.id, "keep_both", 1, fake.now)
    await service.run_draw(db, intake.id, None, lambda: fake.now)

    def text(language: str, confirmation: str, deadline: datetime) -> tuple[str, str]:
        return "invitation", confirmation

    results = await asyncio.gather(
        service.send_round(db, intake.id, 2, 1, "round-a-key", fake.now, text),
        service.send_round(db, intake.id, 2, 1, "round-b-key", fake.now, text),
        return_exceptions=True,
    )
    assert all(isinstance(r, service.RoundSent) for r in results), results
    assert await _count(pg_app, Invitation) == 4
    shown = await service.published(db, intake.id)
    assert shown is not None and draw.verify(shown).ok
    assert sorted(len(r) for r in shown.rounds) == [2, 2]

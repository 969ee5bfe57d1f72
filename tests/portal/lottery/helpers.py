"""Helpers the lottery tests share: sponsors with their own cookies, a filled-in form, an
intake on a clock the test moves."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from northbound.portal.accounts.models import User
from northbound.portal.lottery import service
from northbound.portal.lottery.models import Intake
from tests.support.accounts import post_form, sign_up
from tests.support.clock import FakeWallClock

FORM = {
    "en": "/en/parents-grandparents/{id}/interest-to-sponsor",
    "fr": "/fr/parents-grands-parents/{id}/interet-a-parrainer",
}
INTAKE = {"en": "/en/parents-grandparents/{id}", "fr": "/fr/parents-grands-parents/{id}"}
DRAW = {"en": "/en/parents-grandparents/{id}/draw", "fr": "/fr/parents-grands-parents/{id}/tirage"}
STAFF = {"en": "/en/account/staff/lottery", "fr": "/fr/compte/personnel/tirage"}


def answers(number: int, **changes: str) -> dict[str, str]:
    """A complete, valid form for sponsor ``number`` (distinct names, dates and documents)."""
    values = {
        "family_name": f"Tremblay{'abcdefghij'[number % 10]}{'klmnopqrst'[number // 10 % 10]}",
        "given_names": "Marie-Ève",
        "date_of_birth": f"19{60 + number % 30}-0{1 + number % 9}-1{number % 10}",
        "country_of_birth": "France",
        "address": f"{number} Sussex Drive",
        "city": "Ottawa",
        "province": "ON",
        "postal_code": "K1M 1M4",
        "email": f"sponsor{number}@example.com",
        "status_document": "pr_card",
        "status_document_number": f"PR{number:08d}",
        "person1_family_name": "Tremblay",
        "person1_given_names": "Jeanne",
        "person1_date_of_birth": "1935-05-05",
        "person1_relationship": "parent",
        "declaration": "yes",
    }
    values.update(changes)
    return values


@asynccontextmanager
async def sponsor(
    app: FastAPI, email: str, language: str = "en"
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-up, signed-in person with their own cookie jar."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_up(client, email, language)
        yield client


async def make_staff(app: FastAPI, email: str) -> None:
    async with app.state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))


def clock(app: FastAPI) -> FakeWallClock:
    fake = FakeWallClock()
    app.state.accounts.clock = fake
    return fake


async def open_intake(app: FastAPI, fake: FakeWallClock, target: int = 3) -> Intake:
    """An intake that opened a minute ago and closes in a day."""
    return await service.create_intake(
        app.state.db,
        opens_at=fake.now - timedelta(minutes=1),
        closes_at=fake.now + timedelta(days=1),
        invitation_target=target,
        application_cap=target,
        notice_en="Interest to sponsor is open.",
        notice_fr="Le formulaire d'intérêt est ouvert.",
        staff_id=None,
        now=fake.now,
    )


async def send_form(
    client: httpx.AsyncClient, intake_id: int, values: dict[str, str], language: str = "en"
) -> httpx.Response:
    return await post_form(client, FORM[language].format(id=intake_id), values)


def confirmation_in(html: str) -> str:
    match = re.search(r'class="receipt-number">(PG-\d{3}-\d{3}-\d{4})<', html)
    assert match, "no confirmation number on the page"
    return match.group(1)

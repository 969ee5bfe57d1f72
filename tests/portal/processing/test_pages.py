"""The processing-times tool in both languages, its JSON twin, bad input and the command."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from northbound.cli import cli
from northbound.portal.accounts.models import User
from northbound.portal.applications.models import Application
from northbound.portal.processing import service
from northbound.settings import Settings
from tests.support.accounts import sign_up

TOOL = {"en": "/en/check-processing-times", "fr": "/fr/verifier-delais-de-traitement"}


async def _publish(app: FastAPI, kind: str, country: str, days: int) -> None:
    await service.set_estimate(app.state.db, kind, country, days, date(2026, 11, 30), "test")
    await service.load_book(app.state.db, app.state.processing, datetime.now(UTC))


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_form_lists_every_type_and_country(
    client: httpx.AsyncClient, language: str
) -> None:
    page = await client.get(TOOL[language])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'name="type"' in page.text and 'name="country"' in page.text
    assert 'value="visitor_visa"' in page.text
    assert ("Inde" if language == "fr" else "India") in page.text
    assert 'class="processing-result"' not in page.text


@pytest.mark.parametrize(("language", "shown"), [("en", "45 days"), ("fr", "45 jours")])
async def test_a_published_estimate_by_country(
    app: FastAPI, client: httpx.AsyncClient, language: str, shown: str
) -> None:
    await _publish(app, "work_permit", "IN", 45)
    page = await client.get(TOOL[language], params={"type": "work_permit", "country": "in"})
    assert page.status_code == 200
    assert f"<strong>{shown}</strong>" in page.text
    assert ("30 novembre 2026" if language == "fr" else "November 30, 2026") in page.text
    # the other language's twin asks the same question (the query URL-encoded, as sent)
    other = "fr" if language == "en" else "en"
    toggle = re.search(r'<a class="lang-toggle" href="([^"]+)"', page.text)
    assert toggle is not None
    assert toggle.group(1) == f"{TOOL[other]}?type=work_permit&amp;country=in"


async def test_the_twin_link_keeps_an_odd_query_intact(client: httpx.AsyncClient) -> None:
    page = await client.get(TOOL["en"], params={"type": "a&b=c d", "country": "IN"})
    assert page.status_code == 400
    toggle = re.search(r'<a class="lang-toggle" href="([^"]+)"', page.text)
    assert toggle is not None
    assert toggle.group(1) == f"{TOOL['fr']}?type=a%26b%3Dc+d&amp;country=IN"


async def test_long_estimates_also_read_in_months(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _publish(app, "express_entry", "", 183)
    page = await client.get(TOOL["en"], params={"type": "express_entry"})
    assert "<strong>183 days (about 6 months)</strong>" in page.text


async def test_no_estimate_yet_is_said_plainly(client: httpx.AsyncClient) -> None:
    page = await client.get(TOOL["en"], params={"type": "work_permit", "country": "BR"})
    assert page.status_code == 200
    assert "No estimate is published for this type of application yet" in page.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "work_permit"}, "country"),
        ({"type": "nonsense"}, "type"),
        ({"type": "work_permit", "country": "QQ"}, "country"),
        ({"type": "é" * 5000, "country": "\x00<script>"}, "type"),
        ({"country": "IN"}, "type"),
    ],
)
async def test_bad_questions_get_the_form_back_with_the_field_named(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    page = await client.get(TOOL["en"], params=params)
    assert page.status_code == 400
    assert 'class="error-summary"' in page.text
    assert f'href="#field-{field}"' in page.text
    assert f'id="field-{field}-error"' in page.text
    assert "<script>" not in page.text.split("<main", 1)[-1]


async def test_own_queue_tells_a_signed_in_person_how_many_are_ahead(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    anonymous = await client.get(TOOL["en"], params={"type": "citizenship"})
    assert "Sign in to see how many applications are ahead of yours" in anonymous.text
    await sign_up(client, "waiting@example.com")
    now = datetime.now(UTC)
    async with app.state.db.session() as session, session.begin():
        other = User(email="earlier@example.com", password_hash="x", language="en")
        session.add(other)
        await session.flush()
        mine = (
            await session.execute(
                User.__table__.select().where(User.email == "waiting@example.com")
            )
        ).one()
        for ident, owner, days_ago in (
            ("a1", other.id, 40),
            ("a2", other.id, 30),
            ("me", mine.id, 20),
            ("a3", other.id, 10),
        ):
            session.add(
                Application(
                    id=ident,
                    user_id=owner,
                    kind="citizenship",
                    state="submitted",
                    stage="received",
                    receipt_number=f"CZ-{ident}",
                    submitted_at=now - timedelta(days=days_ago),
                )
            )
    page = await client.get(TOOL["en"], params={"type": "citizenship"})
    assert page.status_code == 200
    assert "Application CZ-me" in page.text
    assert "2 applications received before yours are still waiting" in page.text
    french = await client.get(TOOL["fr"], params={"type": "citizenship"})
    assert "2 demandes reçues avant la vôtre attendent" in french.text


async def test_the_json_twin(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _publish(app, "work_permit", "IN", 45)
    everything = await client.get("/api/v1/processing-times")
    assert everything.status_code == 200
    assert everything.json()["estimates"] == [
        {
            "type": "work_permit",
            "country": "IN",
            "days": 45,
            "source": "published",
            "publishedOn": "2026-11-30",
            "decisions": None,
        }
    ]
    one = await client.get("/api/v1/processing-times/work_permit", params={"country": "IN"})
    assert one.status_code == 200 and one.json()["days"] == 45
    missing = await client.get("/api/v1/processing-times/work_permit", params={"country": "BR"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    for bad in (
        "/api/v1/processing-times/nonsense",
        "/api/v1/processing-times/work_permit",
        "/api/v1/processing-times/work_permit?country=QQ",
        "/api/v1/processing-times/work_permit?country=India",
    ):
        refused = await client.get(bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_command_publishes_lists_and_withdraws(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHBOUND_DATABASE_URL", settings.effective_database_url)
    runner = CliRunner()
    done = runner.invoke(
        cli,
        [
            "processing",
            "set",
            "study_permit",
            "60",
            "--country",
            "br",
            "--published-on",
            "2026-12-01",
            "--by",
            "ops@example.com",
        ],
    )
    assert done.exit_code == 0, done.output
    listed = runner.invoke(cli, ["processing", "list", "--json"])
    assert listed.exit_code == 0
    assert '"country": "BR"' in listed.output and '"days": 60' in listed.output
    refused = runner.invoke(cli, ["processing", "set", "study_permit", "60"])
    assert refused.exit_code == 2 and "depend on the country" in refused.output
    bad_day = runner.invoke(
        cli, ["processing", "set", "express_entry", "60", "--published-on", "yesterday"]
    )
    assert bad_day.exit_code == 2
    assert (
        runner.invoke(cli, ["processing", "clear", "study_permit", "--country", "BR"]).exit_code
        == 0
    )
    assert (
        runner.invoke(cli, ["processing", "clear", "study_permit", "--country", "BR"]).exit_code
        == 2
    )
    assert "citizenship" in runner.invoke(cli, ["processing", "types"]).output

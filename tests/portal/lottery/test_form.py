"""The interest-to-sponsor form through the site: validation, idempotency, duplicates, the
countdown before the opening, unknown intakes, a sponsor who hangs up mid-form."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from northbound.portal.lottery import service
from northbound.portal.lottery.models import Entry, Refusal
from tests.portal.lottery.helpers import (
    FORM,
    INTAKE,
    answers,
    clock,
    confirmation_in,
    open_intake,
    send_form,
    sponsor,
)
from tests.support.accounts import post_form, sign_in, tokens
from tests.support.asgi import app_scope
from tests.support.db import count_rows


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_bad_input_gets_400_with_each_message_next_to_its_field(
    app: FastAPI, language: str
) -> None:
    fake = clock(app)
    intake = await open_intake(app, fake)
    async with sponsor(app, f"bad-{language}@example.com", language) as client:
        bad = answers(
            1,
            email="not-an-address",
            postal_code="12345",
            date_of_birth="2020-01-01",
            status_document_number="!!",
            person2_family_name="Roy",
            province="XX",
            declaration="",
        )
        response = await send_form(client, intake.id, bad, language)
        assert response.status_code == 400
        html = response.text
        for name in (
            "email",
            "postal_code",
            "date_of_birth",
            "status_document_number",
            "person2_given_names",
            "province",
            "declaration",
        ):
            assert f'id="field-{name}-error"' in html, name
            assert (
                f'aria-describedby="field-{name}-error"' in html or f'field-{name}-error"' in html
            )
        expected = {
            "en": "Enter an email address in the form name@example.com.",
            "fr": "Entrez une adresse courriel de la forme nom@exemple.com.",
        }[language]
        assert expected in html
        # what was typed comes back, and nothing was stored
        assert 'value="Roy"' in html
        huge = await send_form(client, intake.id, answers(1, address="x" * 5000), language)
        assert huge.status_code == 400 and 'id="field-address-error"' in huge.text
    assert await count_rows(app, Entry) == 0


async def test_a_retry_or_double_click_gets_the_same_confirmation(app: FastAPI) -> None:
    fake = clock(app)
    intake = await open_intake(app, fake)
    path = FORM["en"].format(id=intake.id)
    async with sponsor(app, "twice@example.com") as client:
        page_tokens = await tokens(client, path)
        first, second = await asyncio.gather(
            client.post(path, data={**page_tokens, **answers(1)}),
            client.post(path, data={**page_tokens, **answers(1)}),
        )
        assert first.status_code == second.status_code == 303
        shown = confirmation_in((await client.get(first.headers["location"])).text)
        third = await client.post(path, data={**page_tokens, **answers(1)})
        assert third.status_code == 303
        assert confirmation_in((await client.get(third.headers["location"])).text) == shown
        # a second form (a new key) from the same sponsor is refused with their number
        again = await client.post(
            path,
            data={
                **page_tokens,
                **answers(1, city="Gatineau"),
                "idempotency_key": "another-key-123",
            },
        )
        assert again.status_code == 409 and confirmation_in(again.text) == shown
        # and the form page now shows the number instead of a second form
        page = await client.get(path)
        assert confirmation_in(page.text) == shown and 'name="family_name"' not in page.text
    assert await count_rows(app, Entry) == 1
    assert await count_rows(app, Refusal) == 0


async def test_exact_duplicates_are_refused_with_a_message(app: FastAPI) -> None:
    fake = clock(app)
    intake = await open_intake(app, fake)
    async with sponsor(app, "first@example.com") as first:
        assert (await send_form(first, intake.id, answers(1))).status_code == 303
    # the same person from another account, typed with other accents, case and spacing
    same = answers(
        1,
        family_name=answers(1)["family_name"].upper(),
        given_names="marie eve",
        email="other@example.com",
        status_document_number="PR99999999",
    )
    async with sponsor(app, "second@example.com", "fr") as second:
        response = await send_form(second, intake.id, same, "fr")
        assert response.status_code == 409
        assert 'id="field-family_name-error"' in response.text
        assert "déjà été reçu" in response.text
        document = answers(2, status_document_number="pr-0000 0001")  # sponsor 1's, retyped
        response = await send_form(second, intake.id, document, "fr")
        assert response.status_code == 409
        assert 'id="field-status_document_number-error"' in response.text
    assert await count_rows(app, Entry) == 1
    assert await count_rows(app, Refusal) == 2


async def test_before_the_opening_a_countdown_and_no_form(app: FastAPI) -> None:
    fake = clock(app)
    intake = await service.create_intake(
        app.state.db,
        opens_at=fake.now + timedelta(hours=26, minutes=3),
        closes_at=fake.now + timedelta(days=20),
        invitation_target=5,
        application_cap=5,
        notice_en="Opening soon.",
        notice_fr="Ouverture bientôt.",
        staff_id=None,
        now=fake.now,
    )
    async with sponsor(app, "early@example.com", "fr") as client:
        page = await client.get(INTAKE["fr"].format(id=intake.id))
        assert page.status_code == 200
        assert "1 j 2 h 3 min" in page.text and "Ouverture bientôt." in page.text
        form_page = await client.get(FORM["fr"].format(id=intake.id))
        assert form_page.status_code == 200 and 'name="family_name"' not in form_page.text
        response = await post_form(
            client, FORM["fr"].format(id=intake.id), answers(1), form_page="/fr/compte/"
        )
        assert response.status_code == 409
        assert "n'accepte pas de formulaires" in response.text
        document = (await client.get(f"/api/v1/lottery/intakes/{intake.id}/draw")).json()
        assert document["commitment"] is None and document["seed"] is None
        fake.advance(hours=27)
        await sign_in(client, "early@example.com", language="fr")  # idle sessions end
        document = (await client.get(f"/api/v1/lottery/intakes/{intake.id}/draw")).json()
        assert document["commitment"] == intake.commitment and document["seed"] is None
        assert (await send_form(client, intake.id, answers(1), "fr")).status_code == 303


async def test_unknown_intakes_are_404_pages_and_problems(client: httpx.AsyncClient) -> None:
    for path in (
        "/en/parents-grandparents/999",
        "/fr/parents-grands-parents/abc/tirage",
        "/en/parents-grandparents/1" + "9" * 30,
    ):
        assert (await client.get(path)).status_code == 404
    response = await client.get("/api/v1/lottery/intakes/x/draw")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_sponsor_who_hangs_up_mid_form_is_not_an_unexpected_error(app: FastAPI) -> None:
    """In a surge people give up while their form is on its way; the app must not count that
    as a failure of its own (the autouse guard fails the test on any unexpected error)."""
    fake = clock(app)
    intake = await open_intake(app, fake)
    async with sponsor(app, "quitter@example.com") as client:
        session = client.cookies["nb_session"]
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    path = FORM["en"].format(id=intake.id)
    scope = app_scope(
        "POST",
        path,
        [
            (b"cookie", f"nb_session={session}".encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"500"),
        ],
    )
    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert await count_rows(app, Entry) == 0

"""Applications end to end in both languages: drafts, steps, review, exactly-once submission,
the status tracker, and bad input on every field."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from northbound.portal.applications.models import Application, IdempotencyRecord, StageEvent
from northbound.portal.applications.receipts import normalise_receipt
from tests.support.accounts import (
    ABOUT_YOU,
    APPLICATIONS,
    HOME,
    LANGUAGE,
    NEW,
    PLANS,
    RESIDENCE,
    answer,
    citizenship_ready,
    post_form,
    receipt_in,
    sign_up,
    start,
    submit,
    tokens,
)
from tests.support.db import count_rows
from tests.support.text import found


async def _application(app: FastAPI) -> Application:
    async with app.state.db.session() as session:
        application: Application = (await session.execute(select(Application))).scalar_one()
        return application


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_citizenship_application_from_start_to_status(
    client: httpx.AsyncClient, app: FastAPI, language: str
) -> None:
    await sign_up(client, f"citizen-{language}@example.com", language)
    base = await citizenship_ready(client, language)
    draft = await client.get(base)
    assert draft.status_code == 200
    assert draft.text.count("<strong>" + ("Complete" if language == "en" else "Terminé")) == 4
    response = await submit(client, base, language)
    assert response.status_code == 303 and response.headers["location"].endswith("?submitted=1")
    page = await client.get(response.headers["location"])
    receipt = receipt_in(page.text)
    assert receipt.startswith("CZ-") and normalise_receipt(receipt) == receipt
    assert ("Application received" if language == "en" else "Demande reçue") in page.text
    assert 'aria-current="step"' in page.text
    stored = await _application(app)
    assert stored.state == "submitted" and stored.stage == "received"
    assert stored.receipt_number == receipt
    assert await count_rows(app, StageEvent) == 1
    # The same page in the other language is the twin link.
    other = "fr" if language == "en" else "en"
    assert f'hreflang="{other}" href="/{other}/' in page.text
    listing = await client.get(APPLICATIONS[language])
    assert receipt in listing.text
    # After submission the steps cannot be changed.
    step = "about-you" if language == "en" else "a-propos-de-vous"
    assert (await client.get(f"{base}/{step}")).status_code == 303
    refused = await post_form(client, f"{base}/{step}", ABOUT_YOU, form_page=HOME[language])
    assert refused.status_code == 303 and "?" not in refused.headers["location"]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_pr_interest_without_documents(
    client: httpx.AsyncClient, app: FastAPI, language: str
) -> None:
    await sign_up(client, f"pr-{language}@example.com", language)
    base = await start(client, "pr_interest", language)
    steps = ("about-you", "your-plans") if language == "en" else ("a-propos-de-vous", "vos-projets")
    for step, data in zip(steps, (ABOUT_YOU, PLANS), strict=True):
        assert (await answer(client, base, step, data)).status_code == 303
    review = await client.get(f"{base}/{'review' if language == 'en' else 'verification'}")
    assert "Tremblay" in review.text and ("Master" in review.text or "Maîtrise" in review.text)
    response = await submit(client, base, language)
    page = await client.get(response.headers["location"])
    assert receipt_in(page.text).startswith("PR-")
    assert ("Biometrics" if language == "en" else "Données biométriques") in page.text


async def test_submitting_twice_with_one_key_gives_one_receipt(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "twice@example.com")
    base = await citizenship_ready(client)
    page_tokens = await tokens(client, f"{base}/review")
    first = await client.post(f"{base}/review", data=page_tokens)
    second = await client.post(f"{base}/review", data=page_tokens)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    receipt = receipt_in((await client.get(second.headers["location"])).text)
    assert (await _application(app)).receipt_number == receipt
    assert await count_rows(app, StageEvent) == 1


async def test_concurrent_double_click_submits_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "clicks@example.com")
    base = await citizenship_ready(client)
    page_tokens = await tokens(client, f"{base}/review")
    responses = await asyncio.gather(
        *(client.post(f"{base}/review", data=page_tokens) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["location"] for r in responses}) == 1
    assert await count_rows(app, StageEvent) == 1
    assert await count_rows(app, IdempotencyRecord, IdempotencyRecord.action == "submit") == 1


async def test_a_second_submit_with_a_new_key_returns_the_same_receipt(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "reload@example.com")
    base = await citizenship_ready(client)
    page_tokens = await tokens(client, f"{base}/review")
    await client.post(f"{base}/review", data=page_tokens)
    fresh = await client.post(
        f"{base}/review", data={**page_tokens, "idempotency_key": "another-key-123"}
    )
    assert fresh.status_code == 303
    page = await client.get(fresh.headers["location"])
    assert receipt_in(page.text) == (await _application(app)).receipt_number


async def test_double_click_on_start_creates_one_draft(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "start@example.com")
    page_tokens = await tokens(client, NEW["en"])
    responses = [
        await client.post(NEW["en"], data={**page_tokens, "kind": "citizenship"}) for _ in range(3)
    ]
    assert len({r.headers["location"] for r in responses}) == 1
    assert await count_rows(app, Application) == 1


async def test_incomplete_application_cannot_be_submitted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "incomplete@example.com")
    base = await start(client, "citizenship")
    await answer(client, base, "about-you", ABOUT_YOU)
    response = await submit(client, base)
    assert response.status_code == 400
    assert 'href="#field-days_present"' in response.text
    assert 'href="#field-document_identity"' in response.text
    assert "Upload this required document" in response.text
    stored = await _application(app)
    assert stored.state == "draft" and stored.receipt_number is None
    assert await count_rows(app, IdempotencyRecord, IdempotencyRecord.action == "submit") == 0


BAD_INPUT = [
    ("about-you", "family_name", "", "This information is required."),
    ("about-you", "family_name", "R2-D2", "Use letters, spaces"),
    ("about-you", "family_name", "x" * 5000, "too long"),
    ("about-you", "given_names", "Marie\x00", "special characters"),
    ("about-you", "date_of_birth", "1990-02-30", "Enter a real date"),
    ("about-you", "date_of_birth", "23/04/1990", "Enter a real date"),
    ("about-you", "date_of_birth", "2099-01-01", "must be in the past"),
    ("about-you", "date_of_birth", "1850-01-01", "more than 120 years"),
    ("about-you", "date_of_birth", "2015-01-01", "18 or older"),
    ("about-you", "phone", "call me maybe", "Enter a phone number"),
    ("about-you", "uci", "12345", "8 or 10 digits"),
    ("residence", "days_present", "900", "at least 1,095 days"),
    ("residence", "days_present", "99999", "too large"),
    ("residence", "days_present", "-5", "whole number"),
    ("residence", "days_present", "1e3", "whole number"),
    ("residence", "province", "XX", "Choose one of the options."),
    ("residence", "postal_code", "90210", "A1A 1A1"),
    ("residence", "postal_code", "D1A 1A1", "A1A 1A1"),
    ("residence", "taxes_filed", "", "This information is required."),
    ("residence", "taxes_filed", "maybe", "Choose one of the options."),
    ("language", "language_evidence", "bribe", "Choose one of the options."),
]


@pytest.mark.parametrize(("step", "field", "value", "message"), BAD_INPUT)
async def test_bad_input_gets_a_message_next_to_the_field_and_saves_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    step: str,
    field: str,
    value: str,
    message: str,
) -> None:
    await sign_up(client, "bad@example.com")
    base = await start(client, "citizenship")
    data = {"about-you": ABOUT_YOU, "residence": RESIDENCE, "language": LANGUAGE}[step]
    response = await answer(client, base, step, {**data, field: value})
    assert response.status_code == 400
    error = re.search(rf'id="field-{field}-error">([^<]+)<', response.text)
    assert error and message in error.group(1), response.text[:500]
    assert f'href="#field-{field}"' in response.text  # listed in the summary too
    assert (await _application(app)).answers == "{}"  # the whole step was refused


async def test_bad_input_in_french_gets_french_messages(client: httpx.AsyncClient) -> None:
    await sign_up(client, "mauvais@example.com", "fr")
    base = await start(client, "citizenship", "fr")
    response = await answer(
        client, base, "residence", {**RESIDENCE, "postal_code": "nope", "days_present": "10"}
    )
    assert response.status_code == 400
    assert "Entrez un code postal de la forme A1A 1A1." in response.text
    assert "au moins 1\u00a0095 jours" in response.text


async def test_unknown_fields_and_junk_are_ignored(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "junk@example.com")
    base = await start(client, "pr_interest")
    response = await answer(
        client, base, "about-you", {**ABOUT_YOU, "state": "submitted", "receipt_number": "XX"}
    )
    assert response.status_code == 303
    stored = await _application(app)
    assert stored.state == "draft" and "receipt_number" not in stored.answers


async def test_other_peoples_applications_are_not_found(client: httpx.AsyncClient) -> None:
    await sign_up(client, "owner@example.com")
    base = await citizenship_ready(client)
    documents = await client.get(f"{base}/documents")
    document = found(
        r'href="(/en/account/applications/[0-9a-f]{32}/files/[0-9a-f]{32})"', documents.text
    )
    assert (await client.get(document)).status_code == 200
    intruder = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with intruder:
        await sign_up(intruder, "intruder@example.com")
        page_tokens = await tokens(intruder, HOME["en"])
        for path in (
            base,
            f"{base}/about-you",
            f"{base}/review",
            document,
            base.replace("/en/account/applications", "/fr/compte/demandes"),
        ):
            assert (await intruder.get(path)).status_code == 404, path
        response = await intruder.post(f"{base}/about-you", data={**page_tokens, **ABOUT_YOU})
        assert response.status_code == 404
        response = await intruder.post(f"{base}/review", data=page_tokens)
        assert response.status_code == 404
        response = await intruder.post(
            f"{base}/files",
            data=page_tokens,
            files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
        )
        assert response.status_code == 404
        assert (await intruder.get("/en/account/applications/" + "0" * 32)).status_code == 404
        assert (await intruder.get("/en/account/applications/../../etc")).status_code == 404


async def test_signed_out_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in (
        "/en/account/",
        "/en/account/applications",
        NEW["en"],
        "/fr/compte/messages",
        "/fr/compte/renseignements",
        "/en/account/applications/" + "a" * 32,
    ):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert (
            "/sign-in?next=" in response.headers["location"]
            or "/connexion?next=" in (response.headers["location"])
        )


async def test_unknown_step_and_bad_kind(client: httpx.AsyncClient) -> None:
    await sign_up(client, "steps@example.com")
    base = await start(client, "citizenship")
    assert (await client.get(f"{base}/no-such-step")).status_code == 404
    response = await post_form(client, NEW["en"], {"kind": "asylum"})
    assert response.status_code == 400 and 'id="field-kind-error"' in response.text
    response = await client.post(
        NEW["en"],
        data={
            **await tokens(client, NEW["en"]),
            "kind": "citizenship",
            "idempotency_key": "bad key!",
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_tax_question_takes_a_no_and_says_it_is_required(
    client: httpx.AsyncClient, language: str
) -> None:
    await sign_up(client, f"taxes-{language}@example.com", language)
    base = await start(client, "citizenship", language)
    assert (
        await answer(
            client, base, "about-you" if language == "en" else "a-propos-de-vous", ABOUT_YOU
        )
    ).status_code == 303
    page = await client.get(f"{base}/residence")
    question = found(r'<label for="field-taxes_filed">(.*?)</label>', page.text)
    assert "?" in question and ("(required)" in question or "(obligatoire)" in question)
    assert 'value="no"' in page.text
    saved = await answer(client, base, "residence", {**RESIDENCE, "taxes_filed": "no"})
    assert saved.status_code == 303, saved.text[-1500:]

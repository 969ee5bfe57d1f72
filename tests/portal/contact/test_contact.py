"""Help without an account: the contact form, its reference, retries, bad input, staff answers."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from northbound.portal.accounts.models import OutboxMail, User
from northbound.portal.applications.models import StaffViewAudit
from northbound.portal.applications.receipts import check_digit, format_receipt, normalise_receipt
from northbound.portal.contact.models import ContactRequest
from tests.support.accounts import field_value, sign_up, tokens

FORM = {"en": "/en/contact-us", "fr": "/fr/nous-joindre"}
STAFF = {"en": "/en/account/staff/contact-messages", "fr": "/fr/compte/personnel/messages-recus"}
GOOD = {
    "name": "Amara  Okafor",
    "email": "Amara@Example.com",
    "topic": "sign_in",
    "file_number": "",
    "body": "I changed my email address and cannot sign in any more.",
}


async def _count(app: FastAPI, model: type) -> int:
    async with app.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _send(client: httpx.AsyncClient, language: str = "en", **changes: str) -> httpx.Response:
    return await client.post(
        FORM[language], data={**await tokens(client, FORM[language]), **GOOD, **changes}
    )


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_message_without_an_account_gets_a_reference_on_screen_and_by_email(
    app: FastAPI, client: httpx.AsyncClient, language: str
) -> None:
    sent = await _send(client, language)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(
        "/en/contact-us/sent?reference=CT-"
        if language == "en"
        else "/fr/nous-joindre/envoye?reference=CT-"
    )
    page = await client.get(sent.headers["location"])
    assert page.status_code == 200
    reference = re.search(r"CT-\d{3}-\d{3}-\d{4}", page.text)
    assert reference is not None and normalise_receipt(reference.group(0)) == reference.group(0)
    async with app.state.db.session() as session:
        row = (await session.execute(select(ContactRequest))).scalar_one()
        mail = (await session.execute(select(OutboxMail))).scalar_one()
    assert (row.reference, row.name, row.email, row.language) == (
        reference.group(0),
        "Amara Okafor",
        "amara@example.com",
        language,
    )
    assert mail.to_address == "amara@example.com" and reference.group(0) in mail.subject
    assert ("Bonjour" if language == "fr" else "Hello") in mail.body


async def test_a_double_click_or_a_retry_gives_the_same_reference(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    form = {**await tokens(client, FORM["en"]), **GOOD}
    first, second = await asyncio.gather(
        client.post(FORM["en"], data=form), client.post(FORM["en"], data=form)
    )
    third = await client.post(FORM["en"], data=form)
    locations = {r.headers.get("location") for r in (first, second, third)}
    assert {r.status_code for r in (first, second, third)} == {303}
    assert len(locations) == 1
    assert await _count(app, ContactRequest) == 1 and await _count(app, OutboxMail) == 1
    reused = await client.post(FORM["en"], data={**form, "body": "Another question entirely."})
    assert reused.status_code == 409
    assert "already used" in reused.text
    assert await _count(app, ContactRequest) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"email": "not an address"}, "email"),
        ({"topic": "refund"}, "topic"),
        ({"file_number": "CZ-482-193-0571"}, "file_number"),  # check digit wrong
        ({"body": "help"}, "body"),
        ({"body": "x" * 4001}, "body"),
        ({"body": "Hello\x00 there, my question"}, "body"),
    ],
)
async def test_bad_answers_come_back_with_the_field_named_and_nothing_stored(
    app: FastAPI, client: httpx.AsyncClient, changes: dict[str, str], field: str
) -> None:
    refused = await _send(client, **changes)
    assert refused.status_code == 400
    assert f'href="#field-{field}"' in refused.text
    assert f'id="field-{field}-error"' in refused.text
    # what the person wrote is handed back
    assert 'value="Amara  Okafor"' in refused.text or field == "name"
    assert "I changed my email address" in refused.text or field == "body"
    assert await _count(app, ContactRequest) == 0 and await _count(app, OutboxMail) == 0


async def test_a_file_number_is_accepted_as_people_type_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = "A receipt number with spaces and lower case letters."
    digits = "482193057"
    receipt = format_receipt("CZ", digits + str(check_digit(digits)))
    typed = receipt.lower().replace("-", " ")
    assert (await _send(client, file_number=typed, body=body)).status_code == 303
    assert (await _send(client, file_number="1234-5678", body=body + " UCI")).status_code == 303
    async with app.state.db.session() as session:
        numbers = set((await session.execute(select(ContactRequest.file_number))).scalars())
    assert {receipt, "12345678"} <= numbers


async def test_no_form_key_or_token_is_a_clear_refusal(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    page = await client.get(FORM["en"])
    csrf = field_value(page.text, "csrf_token")
    missing_key = await client.post(FORM["en"], data={**GOOD, "csrf_token": csrf})
    assert missing_key.status_code == 400 and "submission key" in missing_key.text
    forged = await client.post(
        FORM["en"], data={**GOOD, "csrf_token": "forged", "idempotency_key": "k" * 24}
    )
    assert forged.status_code in (400, 403)
    assert await _count(app, ContactRequest) == 0


async def test_an_odd_reference_in_the_address_is_a_404(client: httpx.AsyncClient) -> None:
    for query in (
        "",
        "?reference=CT-000-000-0001",
        "?reference=CZ-482-193-0572",
        "?reference=" + "9" * 500,
    ):
        assert (await client.get("/en/contact-us/sent" + query)).status_code == 404, query


async def _make_staff(app: FastAPI, email: str) -> None:
    async with app.state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))


async def test_staff_answer_by_email_once_and_it_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _send(client)
    assert (await client.get(STAFF["en"])).status_code == 303  # sign in first
    await sign_up(client, "person@example.com")
    assert (await client.get(STAFF["en"])).status_code == 404  # not staff: no such page
    await _make_staff(app, "person@example.com")
    queue = await client.get(STAFF["fr"])
    assert queue.status_code == 200 and "Amara Okafor" in queue.text
    action = re.search(r'action="(/fr/compte/personnel/messages-recus/\d+)"', queue.text)
    assert action is not None
    empty = await client.post(
        action.group(1), data={"csrf_token": field_value(queue.text, "csrf_token"), "body": " "}
    )
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.text
    answer = {
        "csrf_token": field_value(queue.text, "csrf_token"),
        "body": "Use the forgotten password link with your old address.",
    }
    first = await client.post(action.group(1), data=answer)
    again = await client.post(action.group(1), data=answer)
    assert first.status_code == again.status_code == 303
    async with app.state.db.session() as session:
        mails = list((await session.execute(select(OutboxMail).order_by(OutboxMail.id))).scalars())
        audit = (await session.execute(select(StaffViewAudit))).scalars().all()
        row = (await session.execute(select(ContactRequest))).scalar_one()
    answers = [m for m in mails if m.subject.startswith("Answer to your message")]
    assert len(answers) == 1 and answers[0].to_address == "amara@example.com"
    assert row.state == "answered" and row.answered_at is not None
    assert [a.action for a in audit] == ["contact:answer"]
    assert "Amara Okafor" not in (await client.get(STAFF["en"])).text
    missing = await client.post(STAFF["en"] + "/999999", data=answer)
    assert missing.status_code == 404

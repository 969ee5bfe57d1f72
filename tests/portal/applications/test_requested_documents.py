"""Documents an officer asks for after submission: the applicant can send them (and only
them), once per request, and staff see what came back."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from northbound.portal.accounts.models import User
from northbound.portal.applications.models import Document, DocumentRequest, StaffViewAudit
from tests.support.accounts import (
    EXECUTABLE,
    FILES,
    PDF,
    PNG,
    citizenship_ready,
    post_form,
    receipt_in,
    sign_up,
    submit,
    tokens,
)
from tests.support.db import count_rows
from tests.support.text import found

DOCUMENTS = {"en": "documents", "fr": "documents"}
STAFF_LINK = r'href="(/en/account/staff/applications/[0-9a-f]{32})"'


async def _submitted(client: httpx.AsyncClient, language: str) -> str:
    base = await citizenship_ready(client, language)
    response = await submit(client, base, language)
    receipt_in((await client.get(response.headers["location"])).text)
    return base


def _browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another person's browser on the same site."""
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def _make_staff(staff: httpx.AsyncClient, app: FastAPI, email: str) -> None:
    await sign_up(staff, email)
    async with app.state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))


async def _send(
    client: httpx.AsyncClient,
    base: str,
    language: str,
    data: dict[str, str],
    content: bytes = PDF,
    page_tokens: dict[str, str] | None = None,
) -> httpx.Response:
    page_tokens = page_tokens or await tokens(client, f"{base}/{DOCUMENTS[language]}")
    return await client.post(
        f"{base}/{FILES[language]}",
        data={**page_tokens, **data},
        files={"file": ("certificate.pdf", content, "application/octet-stream")},
    )


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_an_officer_asks_and_the_applicant_sends_the_document(
    client: httpx.AsyncClient, app: FastAPI, language: str
) -> None:
    await sign_up(client, f"asked-{language}@example.com", language)
    base = await _submitted(client, language)
    # Nobody asked yet: the file is read-only, as before.
    assert (await client.get(f"{base}/{DOCUMENTS[language]}")).status_code == 303
    refused = await client.post(
        f"{base}/{FILES[language]}",
        data={"csrf_token": "x", "idempotency_key": "k" * 16, "request": "1"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert refused.status_code == 409
    async with _browser(client) as staff:
        await _make_staff(staff, app, f"officer-{language}@example.com")
        link = found(STAFF_LINK, (await staff.get("/en/account/staff")).text)
        bad = await post_form(
            staff, f"{link}/ask-for-document", {"category": "diploma"}, form_page=link
        )
        assert bad.status_code == 400 and 'id="field-category-error"' in bad.text
        long_note = await post_form(
            staff,
            f"{link}/ask-for-document",
            {"category": "language", "note": "x" * 401},
            form_page=link,
        )
        assert long_note.status_code == 400 and 'id="field-note-error"' in long_note.text
        page_tokens = await tokens(staff, link)
        asked = {**page_tokens, "category": "language", "note": "Your CELPIP result, please."}
        first = await staff.post(f"{link}/ask-for-document", data=asked)
        again = await staff.post(f"{link}/ask-for-document", data=asked)  # a double click
        assert first.status_code == again.status_code == 303
        assert await count_rows(app, DocumentRequest) == 1
        staff_page = (await staff.get(link)).text
        assert "Waiting for the applicant" in staff_page
        assert "Asked for a document: Proof of language skills" in staff_page

        status = await client.get(base)
        assert "Your CELPIP result, please." in status.text
        requested = await client.get(f"{base}/{DOCUMENTS[language]}")
        assert requested.status_code == 200
        request_id = found(r'<option value="(\d+)"', requested.text)
        wrong_kind = await _send(client, base, language, {"request": request_id}, EXECUTABLE)
        assert wrong_kind.status_code == 400 and 'id="field-file-error"' in wrong_kind.text
        no_request = await _send(client, base, language, {"request": "999"})
        assert no_request.status_code == 400 and 'id="field-request-error"' in no_request.text
        page_tokens = await tokens(client, f"{base}/{DOCUMENTS[language]}")
        sent = await _send(client, base, language, {"request": request_id}, PNG, page_tokens)
        resent = await _send(client, base, language, {"request": request_id}, PNG, page_tokens)
        assert sent.status_code == resent.status_code == 303
        assert sent.headers["location"].endswith("?received=1")
        assert await count_rows(app, Document) == 2  # the identity document and this one
        assert await count_rows(app, DocumentRequest, DocumentRequest.answered_at.is_not(None))
        # Answered: nothing more may be sent, and the documents page is read-only again.
        assert (await client.get(f"{base}/{DOCUMENTS[language]}")).status_code == 303
        fresh = {**page_tokens, "idempotency_key": "another-upload-key"}
        late = await _send(client, base, language, {"request": request_id}, PDF, fresh)
        already = {"en": "We already have this document.", "fr": "Nous avons déjà ce document."}
        assert late.status_code == 409 and already[language] in late.text

        staff_page = (await staff.get(link)).text
        assert re.search(r"Received on \d{4}-\d{2}-\d{2}: <a href=", staff_page)
        assert "PNG image" in staff_page
    assert await count_rows(app, StaffViewAudit, StaffViewAudit.action == "request:language") == 1
    inbox = await client.get({"en": "/en/account/messages", "fr": "/fr/compte/messages"}[language])
    subject = {"en": "We need a document from you", "fr": "Nous avons besoin d’un document"}
    assert subject[language] in inbox.text


async def test_someone_else_cannot_answer_a_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "owner@example.com")
    base = await _submitted(client, "en")
    async with _browser(client) as staff:
        await _make_staff(staff, app, "officer@example.com")
        link = found(STAFF_LINK, (await staff.get("/en/account/staff")).text)
        await post_form(staff, f"{link}/ask-for-document", {"category": "other"}, form_page=link)
        # another applicant: the application does not exist for them
        async with _browser(client) as other:
            await sign_up(other, "stranger@example.com")
            assert (await other.get(f"{base}/documents")).status_code == 404
    assert await count_rows(app, Document) == 1

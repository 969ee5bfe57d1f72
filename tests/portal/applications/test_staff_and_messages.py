"""Enquiries, the secure inbox and staff tools (audited views, stage moves, replies), plus
the command-line helpers and the behaviour when the database is down."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select, update
from typer.testing import CliRunner

from northbound.app import create_app
from northbound.cli import cli
from northbound.portal.accounts.models import User
from northbound.portal.applications.models import Enquiry, InboxMessage, StaffViewAudit
from northbound.settings import Settings
from tests.support.accounts import (
    PASSWORD,
    citizenship_ready,
    post_form,
    receipt_in,
    sign_in,
    sign_up,
    submit,
    tokens,
)
from tests.support.db import count_rows
from tests.support.text import found

ENQUIRIES = {"en": "/en/account/enquiries", "fr": "/fr/compte/renseignements"}


async def _make_staff(app: FastAPI, email: str) -> None:
    async with app.state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))


async def _submitted(client: httpx.AsyncClient, language: str = "en") -> tuple[str, str]:
    base = await citizenship_ready(client, language)
    response = await submit(client, base, language)
    return base, receipt_in((await client.get(response.headers["location"])).text)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_enquiry_gets_a_reference_and_reaches_staff(
    client: httpx.AsyncClient, app: FastAPI, language: str
) -> None:
    await sign_up(client, f"asker-{language}@example.com", language)
    response = await post_form(
        client,
        ENQUIRIES[language],
        {"topic": "status", "body": "When will my file be reviewed, please?"},
    )
    assert response.status_code == 200
    reference = found(r'class="receipt-number">(EQ-[\d-]+)<', response.text)
    assert reference in (await client.get(ENQUIRIES[language])).text
    assert await count_rows(app, Enquiry) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"topic": "bribes", "body": "A long enough question."}, "topic"),
        ({"topic": "status", "body": "short"}, "body"),
        ({"topic": "status", "body": "x" * 4001}, "body"),
        ({"topic": "status", "body": "Has a \x07 bell in it, oddly."}, "body"),
        (
            {"topic": "status", "body": "About someone else's file.", "application": "f" * 32},
            "application",
        ),
    ],
)
async def test_bad_enquiries_are_refused(
    client: httpx.AsyncClient, app: FastAPI, data: dict[str, str], field: str
) -> None:
    await sign_up(client, "bad-asker@example.com")
    response = await post_form(client, ENQUIRIES["en"], data)
    assert response.status_code == 400
    assert f'id="field-{field}-error"' in response.text
    assert await count_rows(app, Enquiry) == 0


async def test_resent_enquiry_form_is_stored_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "resend-enquiry@example.com")
    page_tokens = await tokens(client, ENQUIRIES["en"])
    data = {**page_tokens, "topic": "other", "body": "Please call me back about my file."}
    first = await client.post(ENQUIRIES["en"], data=data)
    second = await client.post(ENQUIRIES["en"], data=data)
    ref = re.compile(r'class="receipt-number">(EQ-[\d-]+)<')
    assert found(ref, first.text) == found(ref, second.text)
    assert await count_rows(app, Enquiry) == 1


async def test_staff_pages_do_not_exist_for_applicants(client: httpx.AsyncClient) -> None:
    await sign_up(client, "applicant@example.com")
    for path in (
        "/en/account/staff",
        "/fr/compte/personnel",
        "/en/account/staff/applications/" + "a" * 32,
    ):
        assert (await client.get(path)).status_code == 404


async def test_staff_move_an_application_and_write_to_the_applicant(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "applicant@example.com", "fr")
    base, receipt = await _submitted(client, "fr")
    await post_form(
        client,
        ENQUIRIES["fr"],
        {"topic": "status", "body": "Où en est mon dossier, s'il vous plaît?"},
    )
    staff = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with staff:
        await sign_up(staff, "officer@example.com")
        await _make_staff(app, "officer@example.com")
        queue = await staff.get("/en/account/staff")
        assert queue.status_code == 200 and receipt in queue.text
        assert "Où en est mon dossier" in queue.text
        link = found(r'href="(/en/account/staff/applications/[0-9a-f]{32})"', queue.text)
        page = await staff.get(link)
        assert page.status_code == 200 and "Tremblay" in page.text
        assert await count_rows(app, StaffViewAudit, StaffViewAudit.action == "view") == 1
        moved = await post_form(
            staff, f"{link}/stage", {"stage": "eligibility_review"}, form_page=link
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith("?moved=1")
        confirmed = await staff.get(moved.headers["location"])
        assert 'role="status"' in confirmed.text and "moved to its new stage" in confirmed.text
        assert 'role="status"' not in (await staff.get(link)).text  # said once, after the act
        bad = await post_form(
            staff, f"{link}/stage", {"stage": "approved-by-magic"}, form_page=link
        )
        assert bad.status_code == 400 and 'id="field-stage-error"' in bad.text
        empty = await post_form(
            staff, f"{link}/message", {"subject": "", "body": ""}, form_page=link
        )
        assert empty.status_code == 400 and 'id="field-subject-error"' in empty.text
        sent = await post_form(
            staff,
            f"{link}/message",
            {"subject": "Test de citoyenneté", "body": "Votre examen aura lieu le 3 mars."},
            form_page=link,
        )
        assert sent.status_code == 303
        shown = await staff.get(sent.headers["location"])
        assert 'role="status"' in shown.text and "sent to the applicant" in shown.text
        document = found(
            r'href="(/en/account/staff/applications/[0-9a-f]{32}/files/'
            r'[0-9a-f]{32})"',
            (await staff.get(link)).text,
        )
        assert (await staff.get(document)).status_code == 200
        enquiry = found(r'action="(/en/account/staff/enquiries/\d+)"', queue.text)
        blank = await post_form(
            staff, enquiry, {"subject": "", "body": "x" * 5000}, form_page="/en/account/staff"
        )
        assert blank.status_code == 400
        assert re.search(r'id="subject-\d+-error">This information is required', blank.text)
        assert "Use 4,000 characters or fewer." in blank.text
        replied = await post_form(
            staff,
            enquiry,
            {"subject": "Votre question", "body": "Votre dossier est à l'étude."},
            form_page="/en/account/staff",
        )
        assert replied.status_code == 303
        assert await count_rows(app, Enquiry, Enquiry.state == "answered") == 1
        confirmed = await staff.get(replied.headers["location"])
        assert 'role="status"' in confirmed.text and "no longer open" in confirmed.text
        assert 'role="status"' not in (await staff.get("/en/account/staff")).text
    async with app.state.db.session() as session:
        actions = [
            a.action
            for a in (
                await session.execute(select(StaffViewAudit).order_by(StaffViewAudit.id))
            ).scalars()
        ]
    assert "stage:eligibility_review" in actions and "message" in actions
    assert actions.count("view") >= 3
    # The applicant sees the new stage with its date, and three messages in French.
    status = await client.get(base)
    assert 'aria-current="step"' in status.text
    assert re.search(r"Examen de l'admissibilité</strong>\s*<span> — <time", status.text)
    home = await client.get("/fr/compte/")
    assert "3 non lus" in home.text
    inbox = await client.get("/fr/compte/messages")
    assert "Votre demande est passée à une nouvelle étape" in inbox.text
    assert "Votre examen aura lieu le 3 mars." in inbox.text
    assert "Votre dossier est à l&#39;étude." in inbox.text
    assert await count_rows(app, InboxMessage, InboxMessage.read_at.is_(None)) == 0


async def test_staff_cannot_see_drafts(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "drafter@example.com")
    base = await citizenship_ready(client)
    draft_id = base.rsplit("/", 1)[1]
    await _make_staff(app, "drafter@example.com")
    assert (await client.get(f"/en/account/staff/applications/{draft_id}")).status_code == 404


def test_create_staff_and_outbox_commands(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.accounts import fast_settings

    settings = fast_settings(make_settings)
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NORTHBOUND_ACCOUNTS__ARGON2_MEMORY_KIB", "1024")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["users", "create-staff", "boss@example.com", "--password", PASSWORD]
    )
    assert result.exit_code == 0 and "staff account created" in result.output
    result = runner.invoke(
        cli,
        ["users", "create-staff", "boss@example.com"],
        input="another good phrase\nanother good phrase\n",
    )
    assert result.exit_code == 0 and "existing account made staff" in result.output
    weak = runner.invoke(cli, ["users", "create-staff", "x@example.com", "--password", "123"])
    assert weak.exit_code != 0
    result = runner.invoke(cli, ["outbox"])
    assert result.exit_code == 0 and "no pending mail" in result.output


async def test_staff_account_from_the_command_can_sign_in(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.accounts import fast_settings

    settings = fast_settings(make_settings)
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NORTHBOUND_ACCOUNTS__ARGON2_MEMORY_KIB", "1024")
    # The command runs its own event loop, so it runs in a thread here.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["users", "create-staff", "chief@example.com", "--password", PASSWORD],
    )
    assert result.exit_code == 0
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await sign_in(client, "chief@example.com")).status_code == 303
            assert (await client.get("/en/account/staff")).status_code == 200


async def test_outbox_command_prints_pending_mail(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_up(client, "mail@example.com")
    monkeypatch.setenv("NORTHBOUND_DATA_DIR", str(app.state.settings.data_dir))
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox"])
    assert result.exit_code == 0
    assert "To: mail@example.com" in result.output and "verify-email?token=" in result.output


async def test_database_outage_pauses_submissions_politely(
    make_settings: Callable[..., Settings],
) -> None:
    from tests.support.accounts import FAST_HASHING, signed_session

    settings = make_settings(
        accounts=FAST_HASHING, database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none"
    )
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            client.cookies.set("nb_session", signed_session(settings))
            response = await client.get("/en/account/")
            assert response.status_code == 503
            assert "Nothing you already submitted is lost" in response.text
            retry_after = int(response.headers["retry-after"])
            assert 1 <= retry_after <= settings.database_breaker.reset_seconds
            french = await client.get("/fr/compte/demandes")
            assert french.status_code == 503 and "suspendues" in french.text
            api = await client.post(
                "/api/v1/session", json={"email": "a@example.com", "password": PASSWORD}
            )
            assert api.status_code == 503


async def test_a_skipped_stage_is_not_shown_as_completed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "skipper@example.com")
    base, _receipt = await _submitted(client, "en")
    staff = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with staff:
        await sign_up(staff, "officer2@example.com")
        await _make_staff(app, "officer2@example.com")
        queue = await staff.get("/en/account/staff")
        link = found(r'href="(/en/account/staff/applications/[0-9a-f]{32})"', queue.text)
        moved = await post_form(staff, f"{link}/stage", {"stage": "decision"}, form_page=link)
        assert moved.status_code == 303
    status = (await client.get(base)).text
    rows = re.findall(r'<li class="tracker-(\w+)"[^>]*>\s*<strong>([^<]+)</strong>', status)
    by_title = {title: state for state, title in rows}
    assert by_title == {
        "Application received": "done",
        "Eligibility review": "skipped",
        "Citizenship test and interview": "skipped",
        "Decision": "current",
        "Citizenship ceremony": "upcoming",
    }, by_title
    assert "not needed for your application" in status

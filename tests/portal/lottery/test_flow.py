"""The lottery through the site after the form: closing, staff review, the draw, invitations,
the public draw document and ``northbound lottery``."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.sql import Executable
from typer.testing import CliRunner

from northbound.cli import cli
from northbound.portal.accounts.clock import aware
from northbound.portal.applications.models import InboxMessage
from northbound.portal.lottery import service
from northbound.portal.lottery.models import Audit, Entry, Intake, Invitation
from northbound.settings import Settings
from tests.portal.lottery.helpers import (
    DRAW,
    INTAKE,
    STAFF,
    answers,
    clock,
    confirmation_in,
    make_staff,
    open_intake,
    send_form,
    sponsor,
)
from tests.support.accounts import post_form, sign_in
from tests.support.db import count_rows


async def test_the_whole_intake_staff_review_draw_and_rounds(
    app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = clock(app)
    async with sponsor(app, "boss@example.com") as staff:
        await make_staff(app, "boss@example.com")
        # create the intake through the staff page (a bad one first)
        bad = await post_form(
            staff,
            STAFF["en"],
            {
                "opens_at": "tomorrow",
                "closes_at": "2026-11-01T00:00Z",
                "invitation_target": "x",
                "application_cap": "4",
                "notice_en": "Open.",
                "notice_fr": "",
            },
        )
        assert bad.status_code == 400
        for name in ("opens_at", "invitation_target", "notice_fr"):
            assert f'id="field-{name}-error"' in bad.text
        created = await post_form(
            staff,
            STAFF["en"],
            {
                "opens_at": (fake.now + timedelta(minutes=1)).isoformat(),
                "closes_at": (fake.now + timedelta(days=1)).isoformat(),
                "invitation_target": "4",
                "application_cap": "3",
                "notice_en": "Interest to sponsor.",
                "notice_fr": "Intérêt à parrainer.",
            },
        )
        assert created.status_code == 303
        intake_id = int(created.headers["location"].split("/")[-1].split("?")[0])
        fake.advance(minutes=2)

        numbers: list[str] = []
        for n in range(7):
            async with sponsor(app, f"s{n}@example.com", "fr" if n % 2 else "en") as client:
                response = await send_form(client, intake_id, answers(n))
                assert response.status_code == 303, response.text[:500]
                numbers.append(
                    confirmation_in((await client.get(response.headers["location"])).text)
                )
        # a likely duplicate of sponsor 0: same birth date, name spelled differently
        async with sponsor(app, "s7@example.com") as client:
            twin = answers(
                0,
                family_name=answers(0)["family_name"] + "-Roy",
                email="s7@example.com",
                status_document_number="PR77777777",
                address="1 Other Street",
            )
            assert (await send_form(client, intake_id, twin)).status_code == 303

        base = f"/en/account/staff/lottery/{intake_id}"
        early = await post_form(staff, base + "/draw", {}, form_page=base)
        assert early.status_code == 409  # not closed yet
        assert (await post_form(staff, base + "/close", {}, form_page=base)).status_code == 303
        page = await staff.get(base)
        assert "one name contains the other" in page.text.lower()
        assert await count_rows(app, Audit, Audit.action == "view") == 1  # who saw the details
        assert (await post_form(staff, base + "/draw", {}, form_page=base)).status_code == 409
        flag_id = (await service.flags_of(app.state.db, intake_id))[0].flag.id
        refused = await post_form(
            staff, base + "/flags", {"flag": str(flag_id), "decision": "maybe"}, form_page=base
        )
        assert refused.status_code == 400
        decided = await post_form(
            staff,
            base + "/flags",
            {"flag": str(flag_id), "decision": "remove_second"},
            form_page=base,
        )
        assert decided.status_code == 303
        fake.advance(seconds=1)
        assert (await post_form(staff, base + "/draw", {}, form_page=base)).status_code == 303

        intake = await service.get_intake(app.state.db, intake_id)
        assert intake is not None and intake.list_published_at and intake.seed_revealed_at
        assert aware(intake.list_published_at) <= aware(intake.seed_revealed_at)
        seed = bytes.fromhex(intake.seed_hex)
        assert hashlib.sha256(seed).hexdigest() == intake.commitment

        first = await post_form(staff, base + "/invitations", {"count": "3"}, form_page=base)
        assert first.status_code == 303
        second = await post_form(staff, base + "/invitations", {"count": "2"}, form_page=base)
        assert second.status_code == 303
        assert (
            await post_form(staff, base + "/invitations", {"count": "0"}, form_page=base)
        ).status_code == 400

    document = (
        await httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ).get(f"/api/v1/lottery/intakes/{intake_id}/draw")
    ).json()
    assert sorted(document["eligible"]) == sorted(numbers)  # the flagged twin was removed
    assert document["counts"] == {
        "received": 8,
        "duplicatesRemoved": 1,
        "eligible": 7,
        "invited": 5,
    }
    ranked = sorted(
        numbers, key=lambda c: __import__("hmac").new(seed, c.encode(), "sha256").digest()
    )
    assert document["rounds"][0]["invited"] == ranked[:3]
    assert document["rounds"][1]["invited"] == ranked[3:5]  # skipping those invited
    assert await count_rows(app, InboxMessage) == 5
    async with app.state.db.session() as session:
        deadlines = list((await session.execute(select(Invitation.deadline))).scalars())
    assert all(aware(d) - fake.now == timedelta(days=60) for d in deadlines)
    assert await count_rows(app, Audit, Audit.action == "flag") == 1

    # sponsors see where they stand: invited (with the deadline) or not selected this round
    invited_email = f"s{numbers.index(ranked[0])}@example.com"
    left_out_email = f"s{numbers.index(ranked[6])}@example.com"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client, invited_email)
        page = await client.get(INTAKE["en"].format(id=intake_id))
        assert "invited to apply" in page.text
        inbox = await client.get("/en/account/messages")
        assert ranked[0] in inbox.text and "60" in inbox.text
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client, left_out_email)
        page = await client.get(INTAKE["en"].format(id=intake_id))
        assert "not selected in this round" in page.text
        draw_page = await client.get(DRAW["en"].format(id=intake_id))
        assert "it matches" in draw_page.text and intake.seed_hex in draw_page.text

    # the command verifies from the database...
    monkeypatch.setenv("NORTHBOUND_DATABASE_URL", settings.effective_database_url)
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, cli, ["lottery", "verify", "--intake", str(intake_id)]
    )
    assert result.exit_code == 0, result.output
    assert "5 invited" in result.output
    # ...and fails on a tampered invitation list, seed or entry list (each put back after)
    await _tamper_and_check(
        app,
        runner,
        intake_id,
        update(Invitation).where(Invitation.place == 1).values(place=99),
        update(Invitation).where(Invitation.place == 99).values(place=1),
    )
    await _tamper_and_check(
        app,
        runner,
        intake_id,
        update(Intake).values(seed_hex="00" * 32),
        update(Intake).values(seed_hex=intake.seed_hex),
    )
    await _tamper_and_check(
        app,
        runner,
        intake_id,
        update(Entry).where(Entry.confirmation == ranked[6]).values(state="removed"),
        update(Entry).where(Entry.confirmation == ranked[6]).values(state="received"),
    )


async def _tamper(app: FastAPI, statement: Executable) -> None:
    async with app.state.db.session() as session, session.begin():
        await session.execute(statement)


async def _tamper_and_check(
    app: FastAPI, runner: CliRunner, intake_id: int, statement: Executable, restore: Executable
) -> None:
    command = ["lottery", "verify", "--intake", str(intake_id)]
    await _tamper(app, statement)
    result = await asyncio.to_thread(runner.invoke, cli, command)
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output
    await _tamper(app, restore)
    assert (await asyncio.to_thread(runner.invoke, cli, command)).exit_code == 0


async def test_later_round_after_everyone_invited_is_refused(app: FastAPI) -> None:
    fake = clock(app)
    intake = await open_intake(app, fake)
    async with sponsor(app, "only@example.com") as client:
        assert (await send_form(client, intake.id, answers(3))).status_code == 303
    db = app.state.db
    await service.close_intake(db, intake.id, None, fake.now)
    await service.run_draw(db, intake.id, None, lambda: fake.now)
    async with db.session() as session:
        staff_id = int(await session.scalar(select(func.min(Entry.user_id))))

    def text(language: str, confirmation: str, deadline: datetime) -> tuple[str, str]:
        return "subject", f"{confirmation} {deadline:%Y-%m-%d}"

    result = await service.send_round(db, intake.id, 5, staff_id, "round-key-1", fake.now, text)
    assert result == service.RoundSent(round=1, invited=1, replayed=False)
    replay = await service.send_round(db, intake.id, 5, staff_id, "round-key-1", fake.now, text)
    assert replay.replayed is True
    with pytest.raises(service.OutOfOrder):
        await service.send_round(db, intake.id, 5, staff_id, "round-key-2", fake.now, text)
    assert await count_rows(app, Invitation) == 1


async def test_seed_is_never_revealed_before_the_list(app: FastAPI) -> None:
    fake = clock(app)
    intake = await open_intake(app, fake)
    with pytest.raises(service.OutOfOrder):
        await service.reveal_seed(app.state.db, intake.id, None, fake.now)
    with pytest.raises(service.OutOfOrder):
        await service.publish_list(app.state.db, intake.id, None, fake.now)
    document = (
        await httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ).get(f"/api/v1/lottery/intakes/{intake.id}/draw")
    ).json()
    assert document["seed"] is None and document["eligible"] == []


async def test_non_staff_get_404_on_staff_pages(app: FastAPI) -> None:
    async with sponsor(app, "nosy@example.com") as client:
        assert (await client.get(STAFF["en"])).status_code == 404
        assert (await client.get(STAFF["fr"] + "/1")).status_code == 404


async def test_verify_from_the_public_json_follows_the_waiting_room(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``verify --url`` reads only what anyone can read, and waits its turn in the room."""
    fake = clock(app)
    intake = await open_intake(app, fake)
    for n in range(4):
        async with sponsor(app, f"pub{n}@example.com") as client:
            assert (await send_form(client, intake.id, answers(n))).status_code == 303
    db = app.state.db
    await service.close_intake(db, intake.id, None, fake.now)
    await service.run_draw(db, intake.id, None, lambda: fake.now)
    async with db.session() as session:
        staff_id = int(await session.scalar(select(func.min(Entry.user_id))))
    await service.send_round(
        db, intake.id, 2, staff_id, "public-round-1", fake.now, lambda language, c, d: ("s", c)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        document = (await client.get(f"/api/v1/lottery/intakes/{intake.id}/draw")).json()
    answered: list[str] = []

    def get(self: httpx.Client, url: str, **_: object) -> httpx.Response:
        answered.append(url)
        request = httpx.Request("GET", url)
        if len(answered) == 1:  # the room is on: wait your turn
            return httpx.Response(
                429, headers={"retry-after": "0"}, request=request, json={"inWaitingRoom": True}
            )
        return httpx.Response(200, json=served, request=request)

    monkeypatch.setattr(httpx.Client, "get", get)
    runner = CliRunner()
    command = ["lottery", "verify", "--intake", str(intake.id), "--url", "https://nb.example"]
    served = document
    result = await asyncio.to_thread(runner.invoke, cli, command)
    assert result.exit_code == 0, result.output
    assert answered[-1] == f"https://nb.example/api/v1/lottery/intakes/{intake.id}/draw"
    assert "2 invited" in result.output
    # the same document with the two invitations of round 1 swapped fails
    served = {
        **document,
        "rounds": [{"round": 1, "invited": document["rounds"][0]["invited"][::-1]}],
    }
    answered.clear()
    result = await asyncio.to_thread(runner.invoke, cli, command)
    assert result.exit_code == 1 and "Round 1" in result.output


async def test_a_form_stays_removed_while_any_decision_removes_it(app: FastAPI) -> None:
    """One form flagged with two others: undoing one removal leaves it removed; decisions
    are audited; closing again flags nothing twice; after the list is out, nothing changes."""
    fake = clock(app)
    intake = await open_intake(app, fake)
    base = answers(5)
    variants = [
        base,
        answers(6, family_name=base["family_name"] + "-Roy", date_of_birth=base["date_of_birth"]),
        answers(
            7,
            family_name=base["family_name"],
            given_names="Marie",
            date_of_birth=base["date_of_birth"],
        ),
    ]
    for n, values in enumerate(variants):
        async with sponsor(app, f"v{n}@example.com") as client:
            assert (await send_form(client, intake.id, values)).status_code == 303
    db = app.state.db
    assert await service.close_intake(db, intake.id, None, fake.now) == 3
    assert await service.close_intake(db, intake.id, None, fake.now) == 0
    flags = {(f.first.id, f.second.id): f.flag.id for f in await service.flags_of(db, intake.id)}
    first_id = min(a for a, _ in flags)
    removing = [
        (flag, "remove_first" if a == first_id else "remove_second")
        for (a, b), flag in flags.items()
        if first_id in (a, b)
    ]
    assert len(removing) == 2

    async def state_of_first() -> str:
        async with db.session() as session:
            return str(await session.scalar(select(Entry.state).where(Entry.id == first_id)))

    for flag_id, decision in removing:
        await service.decide_flag(db, intake.id, flag_id, decision, 1, fake.now)
    assert await state_of_first() == "removed"
    await service.decide_flag(db, intake.id, removing[0][0], "keep_both", 1, fake.now)
    assert await state_of_first() == "removed"
    await service.decide_flag(db, intake.id, removing[1][0], "keep_both", 1, fake.now)
    assert await state_of_first() == "received"
    other = next(flag for flag in flags.values() if flag not in dict(removing))
    await service.decide_flag(db, intake.id, other, "keep_both", 1, fake.now)
    assert await count_rows(app, Audit, Audit.action == "flag") == 5
    await service.publish_list(db, intake.id, None, fake.now)
    with pytest.raises(service.OutOfOrder):
        await service.decide_flag(db, intake.id, other, "remove_second", 1, fake.now)

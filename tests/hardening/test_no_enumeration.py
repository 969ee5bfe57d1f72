"""Issue 12, items 5 and 9: the site does not tell who has an account, and a resent sign-up
(same idempotency key) is recognised instead of refused."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from northbound.portal.accounts.models import OutboxMail, User
from tests.support.accounts import PASSWORD, SIGN_IN, SIGN_UP, sign_in, sign_up, tokens
from tests.support.clock import FakeWallClock


async def _mail_to(app: FastAPI, address: str) -> list[OutboxMail]:
    async with app.state.db.session() as session:
        rows = await session.execute(select(OutboxMail).where(OutboxMail.to_address == address))
        return list(rows.scalars())


def _page(response: httpx.Response) -> str:
    """The page without what differs on every render (tokens, the typed address)."""
    return re.sub(r'value="[^"]*"', "", response.text)


def _shape(response: httpx.Response) -> tuple[int, str | None, bool]:
    return (response.status_code, response.headers.get("location"),
            "nb_session" in response.headers.get("set-cookie", ""))  # fmt: skip


async def test_sign_up_answers_alike_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "known@example.com")
    client.cookies.clear()
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        form = {**await tokens(client, SIGN_UP["fr"]), "email": email,
                "password": "another long phrase", "confirm": "another long phrase"}  # fmt: skip
        answers.append(await client.post(SIGN_UP["fr"], data=form))
    assert _shape(answers[0]) == _shape(answers[1]) == (303, SIGN_IN["fr"] + "?check_email=1",
                                                        False)  # fmt: skip
    assert answers[0].text == answers[1].text
    # the owner hears about it; the account itself is untouched
    to_owner = await _mail_to(app, "known@example.com")
    assert len(to_owner) == 2 and "/fr/compte/mot-de-passe-oublie" in to_owner[-1].body
    assert (await sign_in(client, "known@example.com")).status_code == 303


async def test_api_sign_up_answers_alike_for_known_and_unknown_addresses(
    client: httpx.AsyncClient,
) -> None:
    body = {"email": "api-known@example.com", "password": PASSWORD}
    first = await client.post("/api/v1/accounts", json=body)
    again = await client.post("/api/v1/accounts", json=body)
    other = await client.post("/api/v1/accounts", json={**body, "email": "api-new@example.com"})
    assert first.status_code == again.status_code == other.status_code == 202
    assert first.json() == again.json() == other.json()
    assert "exist" not in again.text


async def test_lockout_looks_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    clock = FakeWallClock()
    app.state.accounts.clock = clock
    await sign_up(client, "real@example.com")
    client.cookies.clear()
    answers: dict[str, list[httpx.Response]] = {}
    for email in ("real@example.com", "ghost@example.com"):
        answers[email] = [await sign_in(client, email, "wrong password!") for _ in range(6)]
    real, ghost = answers["real@example.com"], answers["ghost@example.com"]
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [400] * 4 + [429] * 2
    assert real[-1].headers["retry-after"] == ghost[-1].headers["retry-after"]
    assert _page(real[-1]) == _page(ghost[-1])
    # the real owner is told by email; nobody is mailed about an address without an account
    assert any("locked" in m.subject for m in await _mail_to(app, "real@example.com"))
    assert await _mail_to(app, "ghost@example.com") == []
    api = [await client.post("/api/v1/session", json={"email": e, "password": "x"})
           for e in ("real@example.com", "ghost@example.com")]  # fmt: skip
    assert [r.status_code for r in api] == [429, 429]
    assert api[0].json() == api[1].json()
    clock.advance(minutes=16)
    assert (await sign_in(client, "real@example.com")).status_code == 303


async def test_a_resent_sign_up_with_the_same_key_is_the_same_sign_up(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    form = {**await tokens(client, SIGN_UP["en"]), "email": "impatient@example.com",
            "password": PASSWORD, "confirm": PASSWORD}  # fmt: skip
    cookies = dict(client.cookies)
    first = await client.post(SIGN_UP["en"], data=form)
    client.cookies.clear()  # the resend goes without the first answer's cookies
    for name, value in cookies.items():
        client.cookies.set(name, value)
    second = await client.post(SIGN_UP["en"], data=form)
    assert _shape(first) == _shape(second) == (303, SIGN_IN["en"] + "?check_email=1", False)
    async with app.state.db.session() as session:
        users = (await session.execute(select(User))).scalars().all()
    assert [u.email for u in users] == ["impatient@example.com"]
    # one confirmation link and no "someone tried to sign up with your address" alarm
    mails = await _mail_to(app, "impatient@example.com")
    assert len(mails) == 1 and "Confirm" in mails[0].subject
    # a new click (another key) for the same address is a new request: the owner is told
    again = {**form, "idempotency_key": "another-key-123"}
    assert (await client.post(SIGN_UP["en"], data=again)).status_code == 303
    assert len(await _mail_to(app, "impatient@example.com")) == 2

"""Account flows in both languages: sign up, sign in and out, lockout, password change,
email verification and password reset."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from northbound.portal.accounts.models import AccountSession, OutboxMail, User
from northbound.settings import Settings
from tests.support.accounts import (
    HOME,
    PASSWORD,
    SIGN_IN,
    SIGN_UP,
    post_form,
    sign_in,
    sign_up,
    tokens,
)
from tests.support.clock import FakeWallClock
from tests.support.db import count_rows
from tests.support.text import found


async def _outbox(app: FastAPI) -> list[OutboxMail]:
    async with app.state.db.session() as session:
        return list((await session.execute(select(OutboxMail).order_by(OutboxMail.id))).scalars())


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_sign_up_queues_a_verification_link_then_the_person_signs_in(
    client: httpx.AsyncClient, app: FastAPI, language: str
) -> None:
    response = await post_form(
        client,
        SIGN_UP[language],
        {"email": "Marie@Example.com", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["location"] == SIGN_IN[language] + "?check_email=1"
    assert "nb_session" not in response.headers.get("set-cookie", "")
    notice = await client.get(response.headers["location"])
    expected = "Check your email" if language == "en" else "Consultez vos courriels"
    assert expected in notice.text
    signed_in = await sign_in(client, "marie@example.com", language=language)
    cookie = signed_in.headers["set-cookie"]
    assert "nb_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http in tests
    home = await client.get(HOME[language])
    assert home.status_code == 200
    expected = "Please confirm your email" if language == "en" else "Veuillez confirmer"
    assert expected in home.text
    mails = await _outbox(app)
    assert len(mails) == 1 and mails[0].to_address == "marie@example.com"
    path = "/en/account/verify-email" if language == "en" else "/fr/compte/verifier-courriel"
    assert path + "?token=" in mails[0].body


@pytest.mark.parametrize(
    ("fields", "field", "english", "french"),
    [
        ({"email": "not-an-address"}, "email", "Enter an email address", "Entrez une adresse"),
        ({"email": "a@b"}, "email", "Enter an email address", "Entrez une adresse"),
        (
            {"email": "x" * 300 + "@example.com"},
            "email",
            "Enter an email address",
            "Entrez une adresse",
        ),
        (
            {"password": "short", "confirm": "short"},
            "password",
            "at least 8 characters",
            "au moins 8 caractères",
        ),
        (
            {"password": "password123", "confirm": "password123"},
            "password",
            "too easy to guess",
            "trop facile à deviner",
        ),
        (
            {"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"},
            "password",
            "too easy to guess",
            "trop facile à deviner",
        ),
        (
            {"password": "y" * 129, "confirm": "y" * 129},
            "password",
            "128 characters",
            "128 caractères",
        ),
        ({"confirm": "something else entirely"}, "confirm", "do not match", "ne correspondent"),
        ({"password": "", "confirm": ""}, "password", "at least 8", "au moins 8"),
    ],
)
@pytest.mark.parametrize("language", ["en", "fr"])
async def test_sign_up_rejects_bad_input_next_to_the_field(
    client: httpx.AsyncClient,
    app: FastAPI,
    language: str,
    fields: dict[str, str],
    field: str,
    english: str,
    french: str,
) -> None:
    data = {"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD, **fields}
    response = await post_form(client, SIGN_UP[language], data)
    assert response.status_code == 400
    message = re.search(rf'id="field-{field}-error">([^<]+)<', response.text)
    assert message, f"no message next to {field}"
    assert (english if language == "en" else french) in message.group(1)
    assert f'aria-describedby="field-{field}-error"' in response.text or (
        f"field-{field}-hint field-{field}-error" in response.text
    )
    assert await count_rows(app, User) == 0
    assert "nb_session" not in response.headers.get("set-cookie", "")


async def test_sign_up_twice_with_the_same_email_tells_the_owner_not_the_visitor(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await sign_up(client, "same@example.com")
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        response = await post_form(
            other,
            SIGN_UP["en"],
            {"email": "SAME@example.com", "password": PASSWORD + "!", "confirm": PASSWORD + "!"},
        )
        fresh = await post_form(
            other,
            SIGN_UP["en"],
            {"email": "fresh@example.com", "password": PASSWORD, "confirm": PASSWORD},
        )
    # the same answer as for an address without an account
    assert (response.status_code, response.headers["location"]) == (
        fresh.status_code,
        fresh.headers["location"],
    )
    assert "already" not in response.text
    assert await count_rows(app, User) == 2
    to_owner = [m for m in await _outbox(app) if m.to_address == "same@example.com"]
    assert len(to_owner) == 2 and "already has one" in to_owner[1].body


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_sign_in_and_out(client: httpx.AsyncClient, app: FastAPI, language: str) -> None:
    await sign_up(client, "person@example.com", language)
    page = await client.get(HOME[language])
    sign_out = {"en": "/en/account/sign-out", "fr": "/fr/compte/deconnexion"}[language]
    response = await client.post(
        sign_out, data={"csrf_token": found(r'name="csrf_token" value="([^"]+)"', page.text)}
    )
    assert response.status_code == 303
    assert await count_rows(app, AccountSession) == 0
    told = await client.get(response.headers["location"])
    assert ("You are signed out." if language == "en" else "Vous êtes déconnecté.") in told.text
    assert (await client.get(HOME[language])).status_code == 303  # back to sign-in

    wrong = await sign_in(client, "person@example.com", "not the password", language)
    assert wrong.status_code == 400
    assert ("is not right" if language == "en" else "incorrect") in wrong.text
    right = await sign_in(client, "PERSON@example.com", language=language)
    assert right.status_code == 303 and right.headers["location"] == HOME[language]
    assert (await client.get(HOME[language])).status_code == 200


async def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "next@example.com")
    client.cookies.clear()
    redirect = await client.get("/en/account/messages")
    assert redirect.headers["location"] == "/en/account/sign-in?next=/en/account/messages"
    page = await client.get(redirect.headers["location"])
    assert 'name="next" value="/en/account/messages"' in page.text
    response = await post_form(
        client,
        SIGN_IN["en"],
        {"email": "next@example.com", "password": PASSWORD, "next": "/en/account/messages"},
    )
    assert response.headers["location"] == "/en/account/messages"
    client.cookies.clear()
    for evil in ("//evil.example/", "https://evil.example/", "/en//evil", "/\\evil"):
        response = await post_form(
            client, SIGN_IN["en"], {"email": "next@example.com", "password": PASSWORD, "next": evil}
        )
        assert response.headers["location"] == HOME["en"], evil


async def test_account_locks_after_repeated_failures_then_unlocks(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    clock = FakeWallClock()
    app.state.accounts.clock = clock
    await sign_up(client, "lock@example.com")
    client.cookies.clear()
    for _ in range(4):
        assert (await sign_in(client, "lock@example.com", "wrong password!")).status_code == 400
    locked = await sign_in(client, "lock@example.com", "wrong password!")
    assert locked.status_code == 429 and "locked for 15 minutes" in locked.text
    # Even the right password is refused while locked.
    refused = await sign_in(client, "lock@example.com")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    clock.advance(minutes=16)
    assert (await sign_in(client, "lock@example.com")).status_code == 303


async def test_sign_in_rate_limit_per_client(
    make_settings: Callable[..., Settings],
) -> None:
    from asgi_lifespan import LifespanManager

    from northbound.app import create_app
    from tests.support.accounts import FAST_HASHING, fast_settings

    # a copy: the shared FAST_HASHING must not leak three attempts into other tests
    accounts = FAST_HASHING.model_copy(update={"sign_in_attempts_per_client": 3})
    settings = fast_settings(make_settings, accounts=accounts)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(3):
                response = await sign_in(client, "nobody@example.com", "whatever you like")
                assert response.status_code == 400
            limited = await sign_in(client, "nobody@example.com", "whatever you like")
            assert limited.status_code == 429
            assert int(limited.headers["retry-after"]) >= 1


async def test_idle_session_expires(client: httpx.AsyncClient, app: FastAPI) -> None:
    clock = FakeWallClock()
    app.state.accounts.clock = clock
    await sign_up(client, "idle@example.com")
    clock.advance(minutes=30)
    assert (await client.get(HOME["en"])).status_code == 200  # refreshes last_seen
    clock.advance(minutes=59)
    assert (await client.get(HOME["en"])).status_code == 200
    clock.advance(minutes=61)
    response = await client.get(HOME["en"])
    assert response.status_code == 303
    assert 'nb_session=""' in response.headers["set-cookie"]  # the stale cookie is cleared
    assert await count_rows(app, AccountSession) == 0


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_change_password_ends_other_sessions(
    client: httpx.AsyncClient, app: FastAPI, language: str
) -> None:
    await sign_up(client, "change@example.com", language)
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        assert (await sign_in(other, "change@example.com")).status_code == 303
        path = {"en": "/en/account/password", "fr": "/fr/compte/mot-de-passe"}[language]
        wrong = await post_form(
            client,
            path,
            {
                "current": "nope nope nope",
                "password": "a brand new phrase",
                "confirm": "a brand new phrase",
            },
        )
        assert wrong.status_code == 400 and 'id="field-current-error"' in wrong.text
        ok = await post_form(
            client,
            path,
            {
                "current": PASSWORD,
                "password": "a brand new phrase",
                "confirm": "a brand new phrase",
            },
        )
        assert ok.status_code == 303
        assert (await client.get(HOME[language])).status_code == 200
        assert (await other.get(HOME[language])).status_code == 303
        assert await count_rows(app, AccountSession) == 1
        client.cookies.clear()
        assert (await sign_in(client, "change@example.com", language=language)).status_code == 400
        assert (
            await sign_in(client, "change@example.com", "a brand new phrase", language)
        ).status_code == 303


async def test_email_verification_link_works_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "verify@example.com")
    link = found(r"http://\S+", (await _outbox(app))[0].body, group=0)
    path = link.replace(app.state.settings.base_url, "")
    first = await client.get(path)
    assert first.status_code == 200 and "confirmed" in first.text
    async with app.state.db.session() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.email_verified_at is not None
    again = await client.get(path)
    assert again.status_code == 400
    bogus = await client.get("/fr/compte/verifier-courriel?token=" + "x" * 5000)
    assert bogus.status_code == 400 and "Ce lien" in bogus.text


async def test_resend_verification(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "resend@example.com")
    response = await post_form(client, "/en/account/verify-email/send", {}, form_page=HOME["en"])
    assert response.status_code == 303
    assert len(await _outbox(app)) == 2


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_password_reset(client: httpx.AsyncClient, app: FastAPI, language: str) -> None:
    await sign_up(client, "reset@example.com", language)
    client.cookies.clear()
    forgot = {"en": "/en/account/forgot-password", "fr": "/fr/compte/mot-de-passe-oublie"}
    unknown = await post_form(client, forgot[language], {"email": "nobody@example.com"})
    known = await post_form(client, forgot[language], {"email": "reset@example.com"})
    assert unknown.status_code == known.status_code == 200
    # The page says the same thing whether or not the account exists.
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", unknown.text) == strip.sub("", known.text)
    bad = await post_form(client, forgot[language], {"email": "@@"})
    assert bad.status_code == 400
    mails = await _outbox(app)
    assert len(mails) == 2  # verification + one reset (none for the unknown address)
    link = found(r"http://\S+", mails[-1].body, group=0)
    path = link.replace(app.state.settings.base_url, "")
    page = await client.get(path)
    token = found(r'name="token" value="([^"]+)"', page.text)
    form_path = path.split("?")[0]
    weak = await client.post(
        form_path,
        data={
            **await tokens(client, path),
            "token": token,
            "password": "12345678",
            "confirm": "12345678",
        },
    )
    assert weak.status_code == 400
    done = await client.post(
        form_path,
        data={
            **await tokens(client, path),
            "token": token,
            "password": "river stones and moss",
            "confirm": "river stones and moss",
        },
    )
    assert done.status_code == 303
    told = await client.get(done.headers["location"])
    assert (
        "Your password was changed." if language == "en" else "Votre mot de passe a été changé."
    ) in told.text
    reused = await client.post(
        form_path,
        data={
            **await tokens(client, path),
            "token": token,
            "password": "another new phrase",
            "confirm": "another new phrase",
        },
    )
    assert reused.status_code == 400
    assert (await sign_in(client, "reset@example.com", language=language)).status_code == 400
    assert (
        await sign_in(client, "reset@example.com", "river stones and moss", language)
    ).status_code == 303

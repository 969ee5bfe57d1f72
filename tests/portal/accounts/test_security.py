"""CSRF, session fixation, cookie flags and the unit pieces behind them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from northbound.app import create_app
from northbound.portal.accounts import csrf
from northbound.portal.accounts.emails import normalise_email
from northbound.portal.accounts.passwords import common_passwords, password_problem
from northbound.settings import Settings
from tests.support.accounts import HOME, PASSWORD, SIGN_IN, SIGN_UP, fast_settings, sign_up, tokens
from tests.support.text import found

FORMS = [
    (SIGN_UP["en"], {"email": "x@example.com", "password": PASSWORD, "confirm": PASSWORD}),
    (SIGN_IN["fr"], {"email": "x@example.com", "password": PASSWORD}),
    ("/en/account/forgot-password", {"email": "x@example.com"}),
]


@pytest.mark.parametrize(("path", "data"), FORMS)
async def test_form_without_csrf_token_is_refused(
    client: httpx.AsyncClient, path: str, data: dict[str, str]
) -> None:
    await client.get(path)  # the browser has its CSRF cookie
    response = await client.post(path, data=data)
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "data"), FORMS)
async def test_form_with_wrong_csrf_token_is_refused(
    client: httpx.AsyncClient, path: str, data: dict[str, str]
) -> None:
    page_tokens = await tokens(client, path)
    for wrong in ("x" * 43, page_tokens["csrf_token"][:-2] + "AA", "", "é" * 500):
        response = await client.post(path, data={**data, **page_tokens, "csrf_token": wrong})
        assert response.status_code == 403


async def test_token_from_another_browser_is_refused(client: httpx.AsyncClient) -> None:
    stolen = await tokens(client, SIGN_IN["en"])
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await other.get(SIGN_IN["en"])
        response = await other.post(
            SIGN_IN["en"], data={**stolen, "email": "x@example.com", "password": PASSWORD}
        )
    assert response.status_code == 403


async def test_signed_in_forms_need_the_session_bound_token(client: httpx.AsyncClient) -> None:
    anonymous = await tokens(client, SIGN_IN["en"])
    await sign_up(client, "csrf@example.com")
    # The pre-sign-in token no longer works: tokens are bound to the new session.
    response = await client.post(
        "/en/account/applications/new", data={**anonymous, "kind": "citizenship"}
    )
    assert response.status_code == 403
    response = await client.post("/en/account/sign-out", data={})
    assert response.status_code == 403
    assert (await client.get(HOME["en"])).status_code == 200  # still signed in


async def test_session_fixation_is_prevented(client: httpx.AsyncClient, app: FastAPI) -> None:
    # The attacker has a real session of their own and plants its cookie in the victim's browser.
    attacker = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with attacker:
        await sign_up(attacker, "attacker@example.com")
        planted = attacker.cookies["nb_session"]
        client.cookies.set("nb_session", planted)
        await sign_up(
            httpx.AsyncClient(transport=client._transport, base_url="http://testserver"),
            "victim@example.com",
        )
        # The victim signs in with the planted cookie present.
        response = await client.post(
            SIGN_IN["en"],
            data={
                **await tokens(client, SIGN_IN["en"]),
                "email": "victim@example.com",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 303
        issued = found(r"nb_session=([^;]+)", response.headers["set-cookie"])
        assert issued != planted
        # The planted id did not become the victim's session, and is no longer valid at all.
        attacker.cookies.set("nb_session", planted)
        assert (await attacker.get(HOME["en"])).status_code == 303
    home = await client.get(HOME["en"])
    assert home.status_code == 200


async def test_made_up_session_cookie_is_ignored_and_cleared(client: httpx.AsyncClient) -> None:
    for value in ("abc", "A" * 43, "../../etc/passwd" * 3, "x" * 4000):
        client.cookies.set("nb_session", value)
        response = await client.get(HOME["en"])
        assert response.status_code == 303
        assert 'nb_session=""' in response.headers.get("set-cookie", "")


async def test_cookies_are_secure_over_https(make_settings: Callable[..., Settings]) -> None:
    settings = fast_settings(make_settings, base_url="https://northbound.example")
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://northbound.example"
        ) as client:
            response = await client.get(SIGN_UP["en"])
            assert "Secure" in response.headers["set-cookie"]
            response = await sign_up(client, "secure@example.com")
            cookie = response.headers["set-cookie"]
            assert "nb_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


async def test_oversized_form_is_refused(client: httpx.AsyncClient) -> None:
    page_tokens = await tokens(client, SIGN_UP["en"])
    response = await client.post(SIGN_UP["en"], data={**page_tokens, "email": "x" * 100_000})
    assert response.status_code == 413


async def test_pages_are_not_cached_or_framed(client: httpx.AsyncClient) -> None:
    response = await client.get(SIGN_IN["en"])
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


def test_password_rules_follow_nist() -> None:
    assert password_problem("short") is not None
    assert password_problem("a" * 129) is not None
    assert password_problem("qwertyuiop") is not None
    assert password_problem("Password1") is not None  # case does not hide a common password
    assert password_problem("zzzzzzzzzzzzzzzz") is not None
    assert password_problem("marie.tremblay-2026", "marie.tremblay@example.com") is not None
    # No composition rules: a long lower-case phrase is fine, so is any Unicode.
    assert password_problem("the quick brown otter") is None
    assert password_problem("ÉtéÀMontréal") is None
    assert len(common_passwords()) >= 250


def test_csrf_token_depends_on_secret_and_binding() -> None:
    token = csrf.token_for(b"k1", "binding")
    assert csrf.token_matches(b"k1", "binding", token)
    assert not csrf.token_matches(b"k2", "binding", token)
    assert not csrf.token_matches(b"k1", "other", token)
    assert not csrf.token_matches(b"k1", "binding", None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Someone@Example.CA ", "someone@example.ca"),
        ("a.b+tag@sub.example.org", "a.b+tag@sub.example.org"),
        ("no-at-sign", None),
        ("two@@example.com", None),
        ("@example.com", None),
        ("x@localhost", None),
        ("x@.example.com", None),
        ("x@example..com", None),
        ("x y@example.com", None),
        ("x@exa\x00mple.com", None),
        ("", None),
    ],
)
def test_email_addresses(raw: str, expected: str | None) -> None:
    assert normalise_email(raw) == expected


async def test_account_root_without_slash_redirects(client: httpx.AsyncClient) -> None:
    for bare in ("/en/account", "/fr/compte"):
        response = await client.get(bare)
        assert response.status_code == 308 and response.headers["location"].endswith(bare + "/")

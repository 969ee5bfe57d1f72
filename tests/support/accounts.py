"""Helpers the tests of accounts, applications and everything behind a sign-in share: reading
tokens from pages, signing up and in, filling the application forms."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from northbound.portal.accounts.config import AccountSettings
from northbound.portal.accounts.sessions import new_token
from northbound.settings import Settings
from tests.support.apps import migrated

PASSWORD = "maple syrup on pancakes"
# Cheap argon2 parameters keep the suite fast; production uses the defaults.
FAST_HASHING = AccountSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200

ABOUT_YOU = {
    "family_name": "Tremblay",
    "given_names": "Marie-Ève",
    "date_of_birth": "1988-02-29",
    "country_of_birth": "France",
    "phone": "613-555-0100",
    "uci": "1234-5678",
}
RESIDENCE = {
    "days_present": "1,200",
    "address": "24 Sussex Drive",
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "k1m1m4",
    "taxes_filed": "yes",
}
LANGUAGE = {"language_evidence": "test"}
PLANS = {
    "program": "express_entry",
    "country_of_residence": "France",
    "education": "master",
    "language_clb": "9",
    "years_experience": "4",
}
PR_ANSWERS = {**ABOUT_YOU, **PLANS}

SIGN_UP = {"en": "/en/account/sign-up", "fr": "/fr/compte/inscription"}
SIGN_IN = {"en": "/en/account/sign-in", "fr": "/fr/compte/connexion"}
HOME = {"en": "/en/account/", "fr": "/fr/compte/"}
NEW = {"en": "/en/account/applications/new", "fr": "/fr/compte/demandes/nouvelle"}
APPLICATIONS = {"en": "/en/account/applications", "fr": "/fr/compte/demandes"}
FILES = {"en": "files", "fr": "fichiers"}


def fast_settings(make_settings: Callable[..., Settings], **overrides: object) -> Settings:
    values: dict[str, object] = {"accounts": FAST_HASHING}
    values.update(overrides)
    settings = make_settings(**values)
    migrated(settings)
    return settings


def field_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in the page"
    return match.group(1)


async def tokens(client: httpx.AsyncClient, path: str) -> dict[str, str]:
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return {
        "csrf_token": field_value(page.text, "csrf_token"),
        "idempotency_key": field_value(page.text, "idempotency_key"),
    }


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], form_page: str | None = None
) -> httpx.Response:
    """GET the form page (for its tokens), then POST ``data`` with them."""
    return await client.post(path, data={**await tokens(client, form_page or path), **data})


async def sign_up(
    client: httpx.AsyncClient, email: str, language: str = "en", password: str = PASSWORD
) -> httpx.Response:
    """Create an account, then sign in with it (signing up itself signs nobody in: its answer
    must not tell a new address from one that has an account). Returns the sign-in answer."""
    response = await post_form(
        client, SIGN_UP[language], {"email": email, "password": password, "confirm": password}
    )
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == SIGN_IN[language] + "?check_email=1"
    signed_in = await sign_in(client, email, password, language)
    assert signed_in.status_code == 303, signed_in.text[:2000]
    return signed_in


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, language: str = "en"
) -> httpx.Response:
    return await post_form(client, SIGN_IN[language], {"email": email, "password": password})


async def start(client: httpx.AsyncClient, kind: str, language: str = "en") -> str:
    """Start an application; returns its address (without a step)."""
    response = await post_form(client, NEW[language], {"kind": kind})
    assert response.status_code == 303, response.text[:2000]
    return response.headers["location"].rsplit("/", 1)[0]


async def answer(
    client: httpx.AsyncClient, base: str, step: str, data: dict[str, str]
) -> httpx.Response:
    return await post_form(client, f"{base}/{step}", data)


async def upload(
    client: httpx.AsyncClient,
    base: str,
    language: str,
    content: bytes,
    filename: str = "passport.pdf",
    category: str = "identity",
) -> httpx.Response:
    step = "documents"
    page_tokens = await tokens(client, f"{base}/{step}")
    return await client.post(
        f"{base}/{FILES[language]}",
        data={**page_tokens, "category": category},
        files={"file": (filename, content, "application/octet-stream")},
    )


async def citizenship_ready(client: httpx.AsyncClient, language: str = "en") -> str:
    """A citizenship draft with every step answered and the identity document uploaded."""
    base = await start(client, "citizenship", language)
    steps = {
        "en": ("about-you", "residence", "language"),
        "fr": ("a-propos-de-vous", "residence", "langue"),
    }[language]
    for step, data in zip(steps, (ABOUT_YOU, RESIDENCE, LANGUAGE), strict=True):
        response = await answer(client, base, step, data)
        assert response.status_code == 303, response.text[:3000]
    response = await upload(client, base, language, PDF)
    assert response.status_code == 303, response.text[:3000]
    return base


REVIEW = {"en": "review", "fr": "verification"}


async def submit(
    client: httpx.AsyncClient, base: str, language: str = "en", key: str | None = None
) -> httpx.Response:
    page_tokens = await tokens(client, f"{base}/{REVIEW[language]}")
    if key:
        page_tokens["idempotency_key"] = key
    return await client.post(f"{base}/{REVIEW[language]}", data=page_tokens)


def receipt_in(html: str) -> str:
    match = re.search(r'class="receipt-number">([A-Z]{2}-\d{3}-\d{3}-\d{4})<', html)
    assert match, "no receipt number on the page"
    return match.group(1)


def signed_session(settings: Settings) -> str:
    """A session cookie this site could have issued (it names no session in the database)."""
    return new_token(settings.secret_key.get_secret_value().encode("utf-8"))

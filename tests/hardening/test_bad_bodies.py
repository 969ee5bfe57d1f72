"""Issue 12, items 1 and 4: odd bodies are the client's problem, answered with a 4xx (or not at
all, when the client has gone), never a 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from northbound.ops.metrics import REQUESTS
from northbound.ops.observe import TALLY
from northbound.portal.eligibility.questionnaire import AnswerCookie
from tests.support.accounts import SIGN_IN, SIGN_UP, sign_up, tokens
from tests.support.asgi import app_scope

NON_ASCII_TOKENS = ["é", "\u00e9" * 43, "ä" + "A" * 42, "\U0001f600", "\x00"]
CSRF_FORMS = [SIGN_IN["en"], SIGN_IN["fr"], SIGN_UP["en"], "/en/account/forgot-password"]


@pytest.mark.parametrize("value", NON_ASCII_TOKENS)
@pytest.mark.parametrize("path", CSRF_FORMS)
async def test_non_ascii_csrf_token_is_refused_not_a_500(
    client: httpx.AsyncClient, path: str, value: str
) -> None:
    await client.get(path)  # the CSRF cookie, as a browser would have it
    fields = {"csrf_token": value, "email": "a@b.ca", "password": "x"}
    urlencoded = await client.post(path, data=fields)
    assert urlencoded.status_code == 403
    multipart = await client.post(path, files={k: (None, v) for k, v in fields.items()})
    assert multipart.status_code == 403


async def test_non_ascii_csrf_token_of_a_signed_in_person_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "unicode@example.com")
    await tokens(client, "/en/account/applications/new")
    response = await client.post(
        "/en/account/applications/new", data={"csrf_token": "é", "kind": "citizenship"}
    )
    assert response.status_code == 403


def test_a_forged_questionnaire_cookie_with_latin1_text_is_ignored() -> None:
    # Cookie headers are read as latin-1, so any of its characters can reach the check.
    assert AnswerCookie("secret").load("e30.\u00e9t\u00e9") == {}
    assert AnswerCookie("secret").load("\u00ff.\u00ff") == {}


def _count(status: str) -> float:
    TALLY.flush()
    total = 0.0
    for metric in REQUESTS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels["status"] == status:
                total += sample.value
    return total


async def _post_then_hang_up(app: FastAPI, path: str, content_type: bytes) -> list[int]:
    """A client that sends part of a form body, then closes the connection."""
    messages: list[Message] = [
        {"type": "http.request", "body": b"csrf_token=abc&email=", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    statuses: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    headers = [(b"content-type", content_type), (b"content-length", b"500")]
    scope = app_scope("POST", path, headers)
    await app(scope, receive, send)
    return statuses


@pytest.mark.parametrize(
    "path",
    [SIGN_IN["en"], "/en/eligibility/crs-calculator", "/fr/admissibilite/presence-effective"],
)
async def test_client_hanging_up_mid_body_is_not_a_server_error(
    app: FastAPI, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    errors_before = _count("500")
    statuses = await _post_then_hang_up(app, path, b"application/x-www-form-urlencoded")
    assert statuses in ([], [499])
    assert _count("500") == errors_before
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []

"""The JSON API: accounts, sessions, idempotent submission, status, problem details."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from northbound.portal.applications.models import Application
from tests.support.accounts import PASSWORD, PR_ANSWERS

JSON = {"content-type": "application/json"}


async def _api_user(client: httpx.AsyncClient, email: str) -> None:
    created = await client.post("/api/v1/accounts", json={"email": email, "password": PASSWORD})
    assert created.status_code == 202, created.text
    session = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert session.status_code == 204
    assert "nb_session=" in session.headers["set-cookie"]


async def _applications(app: FastAPI) -> int:
    async with app.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Application)))


async def test_submit_and_retry_return_the_same_receipt(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await _api_user(client, "api@example.com")
    body = {"kind": "pr_interest", "answers": PR_ANSWERS}
    first = await client.post(
        "/api/v1/applications", json=body, headers={"idempotency-key": "retry-key-0001"}
    )
    assert first.status_code == 201, first.text
    assert first.headers["idempotent-replayed"] == "false"
    receipt = first.json()["receipt_number"]
    assert receipt.startswith("PR-") and first.json()["stage"] == "received"
    again = await client.post(
        "/api/v1/applications", json=body, headers={"idempotency-key": "retry-key-0001"}
    )
    assert again.status_code == 200 and again.json()["receipt_number"] == receipt
    assert again.headers["idempotent-replayed"] == "true"
    assert await _applications(app) == 1
    status = await client.get(first.headers["location"])
    assert status.status_code == 200
    stages = status.json()["stages"]
    assert stages[0]["key"] == "received" and stages[0]["reached_at"]
    assert all(s["reached_at"] is None for s in stages[1:])
    listing = await client.get("/api/v1/applications")
    assert [a["receipt_number"] for a in listing.json()] == [receipt]


async def test_concurrent_retries_with_one_key_create_one_application(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await _api_user(client, "burst@example.com")
    body = {"kind": "pr_interest", "answers": PR_ANSWERS}
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/applications", json=body, headers={"idempotency-key": "burst-key-1"}
            )
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["receipt_number"] for r in responses}) == 1
    assert await _applications(app) == 1


async def test_key_reused_for_another_body_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await _api_user(client, "reuse@example.com")
    headers = {"idempotency-key": "reused-key-01"}
    body = {"kind": "pr_interest", "answers": PR_ANSWERS}
    assert (
        await client.post("/api/v1/applications", json=body, headers=headers)
    ).status_code == 201
    changed = {"kind": "pr_interest", "answers": {**PR_ANSWERS, "language_clb": "10"}}
    response = await client.post("/api/v1/applications", json=changed, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await _applications(app) == 1


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        # the key is a required header with a documented format: a missing or malformed one
        # is an invalid request like any other field
        ({}, {"kind": "pr_interest", "answers": PR_ANSWERS}, 422),
        ({"idempotency-key": "short"}, {"kind": "pr_interest", "answers": PR_ANSWERS}, 422),
        ({"idempotency-key": "spaces are bad"}, {"kind": "pr_interest", "answers": {}}, 422),
        ({"idempotency-key": "valid-key-123"}, {"kind": "asylum", "answers": {}}, 422),
        ({"idempotency-key": "valid-key-123"}, {"kind": "pr_interest"}, 422),
        ({"idempotency-key": "valid-key-123"}, {"kind": "pr_interest", "answers": [1, 2]}, 422),
        (
            {"idempotency-key": "valid-key-123"},
            {"kind": "pr_interest", "answers": {**PR_ANSWERS, "date_of_birth": "yesterday"}},
            422,
        ),
        ({"idempotency-key": "valid-key-123"}, {"kind": "citizenship", "answers": PR_ANSWERS}, 422),
        (
            {"idempotency-key": "valid-key-123"},
            {"kind": "pr_interest", "answers": {"x": "y" * 10_000}},
            422,
        ),
    ],
)
async def test_bad_requests_get_problem_details(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str], body: object, status: int
) -> None:
    await _api_user(client, "bad-api@example.com")
    response = await client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert await _applications(app) == 0


async def test_field_errors_are_listed(client: httpx.AsyncClient) -> None:
    await _api_user(client, "fields@example.com")
    response = await client.post(
        "/api/v1/applications",
        headers={"idempotency-key": "fields-key-1"},
        json={"kind": "pr_interest", "answers": {**PR_ANSWERS, "language_clb": "13"}},
    )
    assert response.status_code == 422
    assert {"field": "language_clb", "message": "The number is too large."} in (
        response.json()["errors"]
    )


async def test_api_needs_a_session_and_json(client: httpx.AsyncClient) -> None:
    body = {"kind": "pr_interest", "answers": PR_ANSWERS}
    response = await client.post(
        "/api/v1/applications", json=body, headers={"idempotency-key": "anon-key-123"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    await _api_user(client, "json@example.com")
    response = await client.post(
        "/api/v1/applications",
        data={"kind": "pr_interest"},
        headers={"idempotency-key": "form-key-123"},
    )
    assert response.status_code in (415, 422)
    response = await client.post(
        "/api/v1/session",
        content=b'{"email":"a@b.c","password":"x"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code in (415, 422)


async def test_other_users_application_is_not_found(client: httpx.AsyncClient) -> None:
    await _api_user(client, "first@example.com")
    created = await client.post(
        "/api/v1/applications",
        json={"kind": "pr_interest", "answers": PR_ANSWERS},
        headers={"idempotency-key": "first-key-01"},
    )
    location = created.headers["location"]
    client.cookies.clear()
    await _api_user(client, "second@example.com")
    assert (await client.get(location)).status_code == 404
    assert (await client.get("/api/v1/applications")).json() == []
    # The same key under another account is a different request.
    mine = await client.post(
        "/api/v1/applications",
        json={"kind": "pr_interest", "answers": PR_ANSWERS},
        headers={"idempotency-key": "first-key-01"},
    )
    assert mine.status_code == 201 and mine.headers["location"] != location


async def test_api_sign_in_errors(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/accounts", json={"email": "who@example.com", "password": PASSWORD})
    wrong = await client.post(
        "/api/v1/session", json={"email": "who@example.com", "password": "wrong password"}
    )
    assert wrong.status_code == 401
    weak = await client.post(
        "/api/v1/accounts", json={"email": "weak@example.com", "password": "password"}
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    out = await client.delete("/api/v1/session")
    assert out.status_code == 204

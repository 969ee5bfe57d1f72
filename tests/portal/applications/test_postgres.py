"""The same submission guarantees on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from northbound.app import create_app
from northbound.portal.applications.models import Application, IdempotencyRecord, StageEvent
from northbound.settings import Settings
from northbound.storage import migrate
from tests.support.accounts import (
    FAST_HASHING,
    PASSWORD,
    PR_ANSWERS,
    citizenship_ready,
    receipt_in,
    sign_in,
    sign_up,
    tokens,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_client(
    make_settings: Callable[..., Settings], postgres_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    settings = make_settings(accounts=FAST_HASHING, database_url=postgres_url)
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, application


async def test_web_flow_submits_exactly_once(pg_client: tuple[httpx.AsyncClient, object]) -> None:
    client, app = pg_client
    await sign_up(client, "pg@example.com", "fr")
    base = await citizenship_ready(client, "fr")
    page_tokens = await tokens(client, f"{base}/verification")
    responses = await asyncio.gather(
        *(client.post(f"{base}/verification", data=page_tokens) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {303}
    receipt = receipt_in((await client.get(responses[0].headers["location"])).text)
    async with app.state.db.session() as session:  # type: ignore[attr-defined]
        stored = (await session.execute(select(Application))).scalar_one()
        events = await session.scalar(select(func.count()).select_from(StageEvent))
    assert stored.receipt_number == receipt and events == 1


async def test_api_retries_under_concurrency(pg_client: tuple[httpx.AsyncClient, object]) -> None:
    client, app = pg_client
    await client.post(
        "/api/v1/accounts", json={"email": "api-pg@example.com", "password": PASSWORD}
    )
    await client.post("/api/v1/session", json={"email": "api-pg@example.com", "password": PASSWORD})
    body = {"kind": "pr_interest", "answers": PR_ANSWERS}
    keys = [f"pg-key-{n:04d}" for n in range(5)]
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/applications", json=body, headers={"idempotency-key": key})
            for key in keys
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses).count(201) == 5
    by_key: dict[str, set[str]] = {}
    for key, response in zip([k for k in keys for _ in range(4)], responses, strict=True):
        by_key.setdefault(key, set()).add(response.json()["receipt_number"])
    assert all(len(receipts) == 1 for receipts in by_key.values())
    async with app.state.db.session() as session:  # type: ignore[attr-defined]
        assert await session.scalar(select(func.count()).select_from(Application)) == 5
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 5


async def test_sign_in_lockout_on_postgres(pg_client: tuple[httpx.AsyncClient, object]) -> None:
    client, _ = pg_client
    await sign_up(client, "lock-pg@example.com")
    client.cookies.clear()
    for _ in range(5):
        await sign_in(client, "lock-pg@example.com", "wrong password here")
    assert (await sign_in(client, "lock-pg@example.com")).status_code == 429


def test_migrations_go_down_and_up_again(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    migrate.downgrade(postgres_url, "0001")
    migrate.upgrade(postgres_url)

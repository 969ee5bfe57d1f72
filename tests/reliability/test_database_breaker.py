"""What the database's circuit breaker counts as an outage, on a real database: refused
connections, slow sessions, a ping that hangs and a terminated backend open it (then it fails
fast); a duplicate key is the caller's mistake and leaves it closed. What the site does while
it is open is in ``test_database_down.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from northbound.settings import Settings
from northbound.storage.database import Database, DatabaseUnavailable
from northbound.surge.breaker import BreakerState, CircuitBreaker
from tests.support.services import POSTGRES_ADMIN_URL, UNREACHABLE_DATABASE


async def test_a_duplicate_is_not_an_outage(make_settings: Callable[..., Settings]) -> None:
    url = make_settings().effective_database_url
    db = Database(url, breaker=CircuitBreaker("database-test", failure_threshold=1))
    try:
        async with db.session() as session, session.begin():
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        for _ in range(3):
            with pytest.raises(IntegrityError):
                async with db.session() as session, session.begin():
                    await session.execute(text("INSERT INTO t VALUES (1)"))
        assert db.breaker.state is BreakerState.CLOSED
        await db.ping(2)
    finally:
        await db.dispose()


async def test_refused_connections_open_the_circuit_then_fail_fast() -> None:
    db = Database(
        UNREACHABLE_DATABASE,
        breaker=CircuitBreaker("database-test", failure_threshold=2, reset_timeout=60),
    )
    try:
        for _ in range(2):
            with pytest.raises(DatabaseUnavailable) as caught:
                async with db.session() as session:
                    await session.execute(text("SELECT 1"))
            assert caught.value.reason != "circuit open"
        assert db.breaker.state is BreakerState.OPEN
        with pytest.raises(DatabaseUnavailable) as caught:
            await db.ping(2)
        assert caught.value.reason == "circuit open" and 0 < caught.value.retry_after <= 60
    finally:
        await db.dispose()


async def test_slow_sessions_open_the_circuit(make_settings: Callable[..., Settings]) -> None:
    db = Database(
        make_settings().effective_database_url,
        breaker=CircuitBreaker("database-test", failure_threshold=2, slow_call_seconds=0.05),
    )
    try:
        for _ in range(2):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
                await asyncio.sleep(0.1)  # as if the query had taken that long
        assert db.breaker.state is BreakerState.OPEN
    finally:
        await db.dispose()


async def test_a_ping_that_hangs_counts_as_a_failure(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(
        make_settings().effective_database_url,
        breaker=CircuitBreaker("database-test", failure_threshold=1),
    )

    async def hang(*_: object, **__: object) -> None:
        await asyncio.sleep(30)

    try:
        async with db.session() as session:
            monkeypatch.setattr(type(session), "execute", hang)
        with pytest.raises(DatabaseUnavailable):
            await db.ping(0.05)
        assert db.breaker.state is BreakerState.OPEN
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_terminated_backend_is_an_outage(postgres_url: str) -> None:
    """pg_terminate_backend under an open session: the error is an outage, not a bug."""
    db = Database(postgres_url, breaker=CircuitBreaker("database-test", failure_threshold=1))
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        with pytest.raises(DatabaseUnavailable):
            async with db.session() as session:
                pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
                await session.execute(text("SELECT 1"))
        assert db.breaker.state is BreakerState.OPEN
    finally:
        await admin.close()
        await db.dispose()

"""Migrations and the notice banner on both databases: SQLite (embedded) and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from northbound.portal.notices import clear_notice, current_notice, set_notice
from northbound.settings import Settings
from northbound.storage import migrate
from northbound.storage.database import Database


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> str:
    if request.param == "sqlite":
        return make_settings().effective_database_url
    return str(request.getfixturevalue("postgres_url"))


async def test_migrations_then_notice_round_trip(database_url: str) -> None:
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        await db.ping()
        notice, _ = await current_notice(db)
        assert notice.en == ""
        await set_notice(
            db, "Very high traffic tonight.", "Très forte affluence ce soir.", "warning"
        )
        await set_notice(db, "Second notice.", "Deuxième avis.")
        notice, updated = await current_notice(db)
        assert (notice.en, notice.fr, notice.level) == ("Second notice.", "Deuxième avis.", "info")
        assert updated.tzinfo is not None
        await clear_notice(db)
        assert (await current_notice(db))[0].en == ""
        with pytest.raises(ValueError, match="both"):
            await set_notice(db, "English only", "  ")
        with pytest.raises(ValueError, match="level"):
            await set_notice(db, "a", "b", "purple")
    finally:
        await db.dispose()


async def test_downgrade_to_base_and_back(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.session() as session:
            count = (await session.execute(text("SELECT count(*) FROM site_notice"))).scalar()
        assert count == 0
    finally:
        await db.dispose()


async def test_sqlite_is_durable_by_configuration(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    migrate.upgrade(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    try:
        async with db.engine.connect() as conn:
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar()
        assert journal == "wal"
        assert synchronous == 2  # FULL
    finally:
        await db.dispose()


async def test_notice_banner_appears_on_every_page(
    make_settings: Callable[..., Settings],
) -> None:
    import httpx
    from asgi_lifespan import LifespanManager

    from northbound.app import create_app

    settings = make_settings()
    migrate.upgrade(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    await set_notice(
        db, "We are receiving very high traffic.", "Nous recevons un très grand nombre de visites."
    )
    await db.dispose()
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert "very high traffic" in (await client.get("/en/express-entry")).text
            assert "très grand nombre" in (await client.get("/fr/")).text
            assert "very high traffic" in (await client.get("/en/search?q=visa")).text


async def test_a_locked_sqlite_database_is_back_pressure_not_an_outage(
    make_settings: Callable[..., Settings],
) -> None:
    """Writers waiting on SQLite's lock get "busy, retry" and the breaker stays closed: a
    burst of sign-ups on one machine must not pause every form for everyone."""
    import sqlite3

    from northbound.storage.database import BUSY_RETRY_SECONDS, DatabaseUnavailable
    from northbound.surge.breaker import BreakerState

    settings = make_settings()
    migrate.upgrade(settings.effective_database_url)
    db = Database.from_settings(settings)
    path = settings.effective_database_url.split("///", 1)[1]
    holder = sqlite3.connect(path, timeout=0.1)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        for _ in range(db.breaker.failure_threshold + 2):
            with pytest.raises(DatabaseUnavailable) as caught:
                async with db.session() as session:
                    await session.execute(text("PRAGMA busy_timeout=50"))
                    await session.execute(text("INSERT INTO site_notice (id) VALUES (99)"))
                    await session.commit()
            assert caught.value.reason == "database busy"
            assert caught.value.retry_after == BUSY_RETRY_SECONDS
        assert db.breaker.state is BreakerState.CLOSED
    finally:
        holder.rollback()
        holder.close()
        await db.engine.dispose()

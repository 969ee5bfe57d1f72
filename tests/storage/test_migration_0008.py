"""Migration 0008 (documents an officer asks for) upgrades a database at 0007 that already
holds a submitted application, and downgrades cleanly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from northbound.settings import Settings
from northbound.storage import migrate
from northbound.storage.database import Database


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> str:
    if request.param == "sqlite":
        return make_settings().effective_database_url
    return str(request.getfixturevalue("postgres_url"))


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _seed(connection: AsyncConnection) -> None:
    await connection.execute(
        text(
            "INSERT INTO account_user (id, email, password_hash, language, is_staff,"
            " failed_sign_ins, created_at) VALUES (1, 'a@example.com', 'x', 'en', false, 0,"
            " CURRENT_TIMESTAMP)"
        )
    )
    await connection.execute(
        text(
            "INSERT INTO application (id, user_id, kind, state, stage, answers, created_at,"
            " updated_at) VALUES (:id, 1, 'citizenship', 'submitted', 'received', '{}',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"id": "a" * 32},
    )


async def test_0008_upgrades_from_0007_and_back(database_url: str) -> None:
    migrate.upgrade(database_url, "0007")
    db = Database(database_url)
    try:
        assert "document_request" not in await _tables(db)
        async with db.engine.begin() as connection:
            await _seed(connection)
        migrate.upgrade(database_url, "0008")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO document_request (application_id, category, requested_at)"
                    " VALUES (:id, 'language', CURRENT_TIMESTAMP)"
                ),
                {"id": "a" * 32},
            )
            note = (await connection.execute(text("SELECT note FROM document_request"))).scalar()
        assert note == ""
        migrate.downgrade(database_url, "0007")
        assert "document_request" not in await _tables(db)
    finally:
        await db.dispose()

"""Publishing estimates and measuring the portal's own queues, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from northbound.portal.accounts.models import User
from northbound.portal.applications.models import Application, StageEvent
from northbound.portal.processing import service
from northbound.portal.processing.estimates import EstimateBook
from northbound.settings import Settings
from northbound.storage import migrate
from northbound.storage.database import Database

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> str:
    # sync, because the PostgreSQL fixture runs its own event loop to create the database
    url = (
        make_settings().effective_database_url
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    migrate.upgrade(url)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def _user(db: Database, email: str) -> int:
    async with db.session() as session, session.begin():
        user = User(email=email, password_hash="x", language="en")
        session.add(user)
        await session.flush()
        return user.id


async def _application(
    db: Database,
    user_id: int,
    kind: str,
    submitted: datetime,
    stages: dict[str, datetime] | None = None,
) -> str:
    ident = f"app{submitted.timestamp():.0f}{user_id}{kind[:3]}"
    async with db.session() as session, session.begin():
        session.add(
            Application(
                id=ident,
                user_id=user_id,
                kind=kind,
                state="submitted",
                stage="received",
                receipt_number=f"R-{ident}",
                submitted_at=submitted,
            )
        )
        await session.flush()
        for stage, reached in (stages or {}).items():
            session.add(StageEvent(application_id=ident, stage=stage, reached_at=reached))
    return ident


async def test_publish_replace_list_and_withdraw(db: Database) -> None:
    await service.set_estimate(db, "work_permit", "in", 45, date(2026, 11, 30), "staff@x")
    await service.set_estimate(db, "work_permit", "IN", 52, date(2026, 12, 1), "staff@x")
    await service.set_estimate(db, "express_entry", "", 180, date(2026, 12, 1), "cli")
    rows = await service.published_estimates(db)
    assert [(r.application_type, r.country, r.days) for r in rows] == [
        ("express_entry", "", 180),
        ("work_permit", "IN", 52),
    ]
    book = EstimateBook()
    await service.load_book(db, book, NOW)
    found = book.lookup("work_permit", "IN")
    assert found is not None and found.days == 52 and found.published_on == date(2026, 12, 1)
    assert await service.clear_estimate(db, "work_permit", "IN")
    assert not await service.clear_estimate(db, "work_permit", "IN")
    assert [r.application_type for r in await service.published_estimates(db)] == ["express_entry"]


@pytest.mark.parametrize(
    ("kind", "country", "days", "says"),
    [
        ("no_such_type", "", 10, "unknown application type"),
        ("work_permit", "", 10, "depend on the country"),
        ("express_entry", "IN", 10, "one estimate everywhere"),
        ("work_permit", "QQ", 10, "not a country code"),
        ("work_permit", "IN", 0, "between 1 and"),
        ("work_permit", "IN", 100_000, "between 1 and"),
    ],
)
async def test_estimates_that_cannot_be_published_say_why(
    db: Database, kind: str, country: str, days: int, says: str
) -> None:
    with pytest.raises(service.EstimateRefused, match=says):
        await service.set_estimate(db, kind, country, days, date(2026, 12, 1), "cli")
    assert await service.published_estimates(db) == []


async def test_own_queue_is_measured_from_decisions_and_counts_who_is_ahead(db: Database) -> None:
    officer_pace = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]  # days to decision
    others = await _user(db, "others@example.com")
    for index, days in enumerate(officer_pace):
        submitted = NOW - timedelta(days=days + index + 1)
        stage = "oath" if index == 0 else "decision"  # a skipped decision stage still decided
        await _application(
            db,
            others,
            "citizenship",
            submitted,
            {
                "eligibility_review": submitted + timedelta(days=1),
                stage: submitted + timedelta(days=days),
            },
        )
    # a decision long ago is outside the window and changes nothing
    await _application(
        db,
        others,
        "citizenship",
        NOW - timedelta(days=900),
        {"decision": NOW - timedelta(days=400)},
    )
    # waiting: two received before mine, one after; another kind does not count
    await _application(db, others, "citizenship", NOW - timedelta(days=30))
    await _application(db, others, "citizenship", NOW - timedelta(days=20))
    await _application(db, others, "pr_interest", NOW - timedelta(days=25))
    me = await _user(db, "me@example.com")
    await _application(db, me, "citizenship", NOW - timedelta(days=10))
    await _application(db, others, "citizenship", NOW - timedelta(days=5))

    book = EstimateBook()
    await service.load_book(db, book, NOW)
    measured = book.lookup("citizenship")
    assert measured is not None
    assert (measured.days, measured.source, measured.decisions) == (80, "measured", 10)
    assert book.lookup("pr_interest") is None  # no decisions: nothing measured, nothing published

    places = await service.places_of(db, me, "citizenship")
    assert [place.ahead for place in places] == [2]
    assert places[0].receipt_number.startswith("R-")
    assert await service.places_of(db, me, "pr_interest") == []

"""Reading and writing estimates, measuring the portal's own queues, and counting who is ahead.

The portal's own queues count an application as decided once it reached the ``decision`` stage
or any stage after it (staff may skip a stage; a later one still means a decision was made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.models import Application, StageEvent
from northbound.portal.applications.tracker import stage_keys
from northbound.portal.processing.catalogue import BY_CODE, TYPES, country_codes
from northbound.portal.processing.estimates import (
    MAX_DAYS,
    WINDOW_DAYS,
    Estimate,
    EstimateBook,
    days_for_most,
)
from northbound.portal.processing.models import ProcessingEstimate
from northbound.storage.database import Database

DECISION = "decision"


class EstimateRefused(ValueError):
    """An estimate that cannot be published as given; the message says what to change."""


def decided_stages(kind: str) -> tuple[str, ...]:
    keys = stage_keys(kind)
    return keys[keys.index(DECISION) :] if DECISION in keys else ()


def check_estimate(application_type: str, country: str, days: int) -> tuple[str, str]:
    """The (type, country) key an estimate is stored under, or :class:`EstimateRefused`."""
    kind = BY_CODE.get(application_type)
    if kind is None:
        known = ", ".join(sorted(BY_CODE))
        raise EstimateRefused(f"unknown application type {application_type!r}; use one of {known}")
    country = country.strip().upper()
    if kind.by_country and not country:
        raise EstimateRefused(
            f"{application_type} estimates depend on the country: give one "
            "(an ISO 3166 code such as IN or BR)"
        )
    if not kind.by_country and country:
        raise EstimateRefused(f"{application_type} has one estimate everywhere: give no country")
    if country and country not in country_codes():
        raise EstimateRefused(f"{country!r} is not a country code (ISO 3166, e.g. IN or BR)")
    if not 1 <= days <= MAX_DAYS:
        raise EstimateRefused(f"days must be between 1 and {MAX_DAYS}")
    return application_type, country


async def set_estimate(
    db: Database, application_type: str, country: str, days: int, published_on: date, by: str
) -> None:
    """Publish (or replace) one estimate. Running instances show it after their next refresh."""
    key = check_estimate(application_type, country, days)
    async with db.session() as session, session.begin():
        row = (
            await session.execute(
                select(ProcessingEstimate).where(
                    ProcessingEstimate.application_type == key[0],
                    ProcessingEstimate.country == key[1],
                )
            )
        ).scalar_one_or_none()
        if row is None:
            session.add(
                ProcessingEstimate(
                    application_type=key[0],
                    country=key[1],
                    days=days,
                    published_on=published_on,
                    updated_by=by[:120],
                )
            )
        else:
            row.days, row.published_on, row.updated_by = days, published_on, by[:120]
            row.updated_at = datetime.now(UTC)


async def clear_estimate(db: Database, application_type: str, country: str = "") -> bool:
    """Withdraw one estimate; False if there was none."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            delete(ProcessingEstimate).where(
                ProcessingEstimate.application_type == application_type,
                ProcessingEstimate.country == country.strip().upper(),
            )
        )
    return bool(getattr(result, "rowcount", 0))


async def published_estimates(db: Database) -> list[ProcessingEstimate]:
    async with db.session() as session:
        rows = await session.execute(
            select(ProcessingEstimate).order_by(
                ProcessingEstimate.application_type, ProcessingEstimate.country
            )
        )
        return list(rows.scalars())


async def decision_days(session: AsyncSession, kind: str, since: datetime) -> list[float]:
    """Days from arrival to decision of each application of ``kind`` decided since ``since``."""
    first_decision = (
        select(StageEvent.application_id, func.min(StageEvent.reached_at).label("decided_at"))
        .where(StageEvent.stage.in_(decided_stages(kind)))
        .group_by(StageEvent.application_id)
        .subquery()
    )
    rows = await session.execute(
        select(Application.submitted_at, first_decision.c.decided_at)
        .join(first_decision, first_decision.c.application_id == Application.id)
        .where(
            Application.kind == kind,
            Application.submitted_at.is_not(None),
            first_decision.c.decided_at >= since,
        )
    )
    return [
        (_aware(decided) - _aware(submitted)).total_seconds() / 86_400
        for submitted, decided in rows
        if submitted is not None
    ]


async def load_book(
    db: Database, book: EstimateBook, now: datetime, *, breaker: bool = True
) -> None:
    """Read every estimate and measure the portal's own queues into ``book``.

    ``breaker=False`` reads outside the database's circuit breaker: for the background
    refresh, whose failures say nothing a visitor's request would not (see ``wiring.py``).
    """
    since = now - timedelta(days=WINDOW_DAYS)
    async with db.session() if breaker else db.sessions() as session:
        rows = (await session.execute(select(ProcessingEstimate))).scalars().all()
        published = {
            (row.application_type, row.country): Estimate(
                row.days, "published", published_on=row.published_on
            )
            for row in rows
        }
        measured: dict[str, Estimate] = {}
        for kind in TYPES:
            if kind.queue is None:
                continue
            durations = await decision_days(session, kind.queue, since)
            days = days_for_most(durations)
            if days is not None:
                measured[kind.code] = Estimate(days, "measured", decisions=len(durations))
    book.replace(published, measured, now)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a person's own waiting application stands in its queue."""

    receipt_number: str
    submitted_at: datetime
    ahead: int  # applications of the same kind received earlier and not yet decided


async def places_of(db: Database, user_id: int, kind: str) -> Sequence[Place]:
    """The person's submitted, undecided applications of ``kind``, each with how many are ahead."""
    decided = exists().where(
        StageEvent.application_id == Application.id, StageEvent.stage.in_(decided_stages(kind))
    )
    waiting = and_(
        Application.kind == kind,
        Application.state == "submitted",
        Application.submitted_at.is_not(None),
        ~decided,
    )
    async with db.session() as session:
        mine = (
            (
                await session.execute(
                    select(Application)
                    .where(waiting, Application.user_id == user_id)
                    .order_by(Application.submitted_at)
                )
            )
            .scalars()
            .all()
        )
        places = []
        for application in mine:
            ahead = await session.scalar(
                select(func.count())
                .select_from(Application)
                .where(waiting, Application.submitted_at < application.submitted_at)
            )
            submitted = application.submitted_at
            assert submitted is not None  # the query asks for submitted applications only
            places.append(
                Place(application.receipt_number or "", _aware(submitted), int(ahead or 0))
            )
    return places


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for what was stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

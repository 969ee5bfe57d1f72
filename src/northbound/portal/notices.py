"""The operator's notice banner: stored in the database, shown on every page.

Instances poll it in the background (never per request), so changing it reaches every
instance within the poll interval and a database outage leaves the last banner in place.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from northbound.storage.database import Database
from northbound.storage.models import SiteNotice, utcnow
from northbound.web.templating import Notice

LEVELS = ("info", "warning", "danger")
MAX_LENGTH = 400


async def current_notice(db: Database) -> tuple[Notice, datetime]:
    async with db.session() as session:
        row = (
            await session.execute(
                select(SiteNotice).where(SiteNotice.active).order_by(SiteNotice.id.desc()).limit(1)
            )
        ).scalar_one_or_none()
    if row is None:
        return Notice(), datetime(2000, 1, 1, tzinfo=UTC)
    updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
    return Notice(row.message_en, row.message_fr, row.level), updated


async def set_notice(db: Database, english: str, french: str, level: str = "info") -> None:
    """Replace the banner. Both languages are required: the site never shows one alone."""
    english, french = english.strip(), french.strip()
    if not english or not french:
        raise ValueError("the notice needs both an English and a French text")
    if len(english) > MAX_LENGTH or len(french) > MAX_LENGTH:
        raise ValueError(f"keep the notice under {MAX_LENGTH} characters")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    async with db.session() as session, session.begin():
        await session.execute(update(SiteNotice).values(active=False))
        session.add(
            SiteNotice(
                message_en=english, message_fr=french, level=level, active=True, updated_at=utcnow()
            )
        )


async def clear_notice(db: Database) -> None:
    async with db.session() as session, session.begin():
        await session.execute(update(SiteNotice).values(active=False))

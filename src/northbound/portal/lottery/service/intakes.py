"""Intakes: their rules, their phase, and the audit trail every step of the lottery writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.accounts.clock import aware
from northbound.portal.lottery import draw
from northbound.portal.lottery.models import Audit, Intake
from northbound.storage.database import Database

MAX_NOTICE = 2000


class OutOfOrder(Exception):
    """The step cannot run now (e.g. the seed before the list); ``str(exc)`` says why."""


def check_intake(
    opens_at: datetime | None,
    closes_at: datetime | None,
    target: int | None,
    cap: int | None,
    notice_en: str,
    notice_fr: str,
) -> dict[str, str]:
    """Errors of a new intake, keyed by field (empty when it can be created)."""
    errors: dict[str, str] = {}
    if opens_at is None:
        errors["opens_at"] = "Enter a date and time such as 2026-10-13T12:00Z."
    if closes_at is None:
        errors["closes_at"] = "Enter a date and time such as 2026-11-03T12:00Z."
    elif opens_at is not None and closes_at <= opens_at:
        errors["closes_at"] = "The intake must close after it opens."
    if target is None or not 1 <= target <= 1_000_000:
        errors["invitation_target"] = "Enter a whole number from 1 to 1,000,000."
    if cap is None or not 1 <= cap <= 1_000_000:
        errors["application_cap"] = "Enter a whole number from 1 to 1,000,000."
    for name, text in (("notice_en", notice_en), ("notice_fr", notice_fr)):
        if not text.strip():
            errors[name] = "This information is required."
        elif len(text) > MAX_NOTICE:
            errors[name] = "Use 2,000 characters or fewer."
    return errors


async def create_intake(
    db: Database,
    *,
    opens_at: datetime,
    closes_at: datetime,
    invitation_target: int,
    application_cap: int,
    notice_en: str,
    notice_fr: str,
    staff_id: int | None,
    now: datetime,
) -> Intake:
    """A new intake with a fresh secret seed; its commitment is fixed from this moment."""
    seed = draw.new_seed()
    intake = Intake(
        opens_at=opens_at,
        closes_at=closes_at,
        invitation_target=invitation_target,
        application_cap=application_cap,
        notice_en=notice_en.strip(),
        notice_fr=notice_fr.strip(),
        seed_hex=seed.hex(),
        commitment=draw.commitment(seed),
        created_at=now,
    )
    async with db.session() as session, session.begin():
        session.add(intake)
        await session.flush()
        audit(
            session,
            intake.id,
            staff_id,
            "create",
            f"opens {opens_at.isoformat()} closes {closes_at.isoformat()}",
            now,
        )
    return intake


async def get_intake(db: Database, intake_id: int) -> Intake | None:
    async with db.session() as session:
        return await session.get(Intake, intake_id)


async def list_intakes(db: Database) -> list[Intake]:
    async with db.session() as session:
        rows = await session.execute(select(Intake).order_by(Intake.opens_at.desc()).limit(50))
        return list(rows.scalars())


def phase(intake: Intake, now: datetime) -> str:
    """``upcoming``, ``open``, ``closed``, ``published`` (list out) or ``drawn`` (seed out)."""
    if intake.seed_revealed_at is not None:
        return "drawn"
    if intake.list_published_at is not None:
        return "published"
    if intake.closed_at is not None or now >= aware(intake.closes_at):
        return "closed"
    if now < aware(intake.opens_at):
        return "upcoming"
    return "open"


AUDIT_ACTIONS: dict[str, str] = {
    "create": "Intake created",
    "view": "Flagged forms viewed",
    "close": "Intake closed",
    "flag": "Likely duplicate decided",
    "publish_list": "List of entries published",
    "reveal_seed": "Draw seed revealed",
    "round": "Draw round run",
}
"""What each action of an intake's audit trail reads as (English; pages translate it)."""


async def locked_intake(session: AsyncSession, intake_id: int) -> Intake:
    """The intake, locked until the transaction ends: each step checks what came before it
    (closed, list out, seed out) and changes it, and two staff members must not both pass the
    check (raises LookupError when there is no such intake)."""
    intake = await session.get(Intake, intake_id, with_for_update=True)
    if intake is None:
        raise LookupError(intake_id)
    return intake


def audit(
    session: AsyncSession,
    intake_id: int,
    staff_id: int | None,
    action: str,
    detail: str,
    now: datetime,
) -> None:
    session.add(
        Audit(
            intake_id=intake_id, staff_user_id=staff_id, action=action, detail=detail[:300], at=now
        )
    )


async def note_review(
    db: Database, intake_id: int, staff_id: int, shown: int, now: datetime
) -> None:
    """Staff looked at the forms flagged as likely duplicates (names, birth dates, emails)."""
    async with db.session() as session, session.begin():
        audit(session, intake_id, staff_id, "view", f"{shown} flagged pair(s) shown", now)


async def audit_trail(db: Database, intake_id: int) -> list[Audit]:
    async with db.session() as session:
        rows = await session.execute(
            select(Audit).where(Audit.intake_id == intake_id).order_by(Audit.id.desc()).limit(200)
        )
        return list(rows.scalars())

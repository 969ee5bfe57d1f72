"""Invitation rounds: the next sponsors down the drawn order, each with an inbox message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.accounts.models import User
from northbound.portal.applications.idempotency import Recorded
from northbound.portal.applications.messages import add_message
from northbound.portal.applications.service import run_once
from northbound.portal.lottery import draw
from northbound.portal.lottery.models import Entry, Intake, Invitation
from northbound.settings import Language
from northbound.storage.database import Database

from .intakes import OutOfOrder, audit
from .publication import eligible_numbers

INVITATION_DAYS = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundSent(Recorded):
    round: int  # its number, from 1
    invited: int  # how many it invited


InvitationText = Callable[[Language, str, datetime], tuple[str, str]]
"""(language, confirmation, deadline) -> (subject, body) of the inbox message."""


async def send_round(
    db: Database,
    intake_id: int,
    count: int,
    staff_id: int,
    key: str,
    now: datetime,
    text: InvitationText,
) -> RoundSent:
    """Invite the next ``count`` sponsors down the order (idempotent with ``key``).

    Each invitation and its inbox message are written in one transaction; a concurrent round
    loses on the unique entry and is recomputed by ``run_once``.
    """
    if count < 1:
        raise ValueError("count")

    async def work(session: AsyncSession) -> RoundSent:
        intake = await session.get(Intake, intake_id)
        if intake is None:
            raise LookupError(intake_id)
        if intake.seed_revealed_at is None:
            raise OutOfOrder("Run the draw before sending invitations.")
        ranked = draw.order(
            bytes.fromhex(intake.seed_hex), await eligible_numbers(session, intake_id)
        )
        invited = list(
            (
                await session.execute(
                    select(Entry.confirmation)
                    .join(Invitation, Invitation.entry_id == Entry.id)
                    .where(Invitation.intake_id == intake_id)
                )
            ).scalars()
        )
        chosen = draw.next_round(ranked, invited, count)
        if not chosen:
            raise OutOfOrder("Everyone on the list has been invited.")
        last = await session.scalar(
            select(func.max(Invitation.round)).where(Invitation.intake_id == intake_id)
        )
        round_number = int(last or 0) + 1
        places = {c: i + 1 for i, c in enumerate(ranked)}
        owners = {
            row.confirmation: row
            for row in (
                await session.execute(
                    select(Entry.id, Entry.confirmation, User.id.label("user_id"), User.language)
                    .join(User, User.id == Entry.user_id)
                    .where(Entry.confirmation.in_(chosen))
                )
            ).all()
        }
        deadline = now + timedelta(days=INVITATION_DAYS)
        for confirmation in chosen:
            owner = owners[confirmation]
            session.add(
                Invitation(
                    intake_id=intake_id,
                    entry_id=owner.id,
                    round=round_number,
                    place=places[confirmation],
                    invited_at=now,
                    deadline=deadline,
                )
            )
            subject, body = text("fr" if owner.language == "fr" else "en", confirmation, deadline)
            add_message(
                session,
                user_id=owner.user_id,
                subject=subject,
                body=body,
                now=now,
                sender_id=staff_id,
            )
        audit(
            session,
            intake_id,
            staff_id,
            "round",
            f"round {round_number}: {len(chosen)} invited",
            now,
        )
        return RoundSent(round=round_number, invited=len(chosen))

    try:
        return await run_once(
            db, staff_id, key, f"lottery_round:{intake_id}", {"count": count}, work, RoundSent
        )
    except IntegrityError as exc:  # pragma: no cover - run_once retries these
        raise OutOfOrder("Another round was being sent; try again.") from exc


async def invitation_of(db: Database, entry_id: int) -> Invitation | None:
    async with db.session() as session:
        return (
            await session.execute(select(Invitation).where(Invitation.entry_id == entry_id))
        ).scalar_one_or_none()

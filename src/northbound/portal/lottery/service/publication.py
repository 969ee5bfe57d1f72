"""The draw in public: the eligible list frozen and published, then the seed, and the figures
anyone may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.lottery import draw
from northbound.portal.lottery.models import Entry, Flag, Intake, Invitation, Refusal
from northbound.storage.database import Database

from .intakes import OutOfOrder, audit, locked_intake


async def eligible_numbers(session: AsyncSession, intake_id: int) -> list[str]:
    rows = await session.execute(
        select(Entry.confirmation)
        .where(Entry.intake_id == intake_id, Entry.state == "received")
        .order_by(Entry.confirmation)
    )
    return [str(r) for r in rows.scalars()]


async def publish_list(db: Database, intake_id: int, staff_id: int | None, now: datetime) -> None:
    """Freeze and publish the eligible list. Needs the intake closed and every flag decided."""
    async with db.session() as session, session.begin():
        intake = await locked_intake(session, intake_id)
        if intake.list_published_at is not None:
            return
        if intake.closed_at is None:
            raise OutOfOrder("Close the intake first: that is when duplicates are flagged.")
        undecided = await session.scalar(
            select(func.count())
            .select_from(Flag)
            .where(Flag.intake_id == intake_id, Flag.decision.is_(None))
        )
        if undecided:
            raise OutOfOrder("Every likely duplicate needs a decision before the draw.")
        numbers = await eligible_numbers(session, intake_id)
        intake.list_published_at, intake.list_digest = now, draw.list_digest(numbers)
        audit(
            session,
            intake_id,
            staff_id,
            "publish_list",
            f"{len(numbers)} eligible, sha256 {intake.list_digest}",
            now,
        )


async def reveal_seed(db: Database, intake_id: int, staff_id: int | None, now: datetime) -> None:
    """Publish the seed: only once the list is out, so the list cannot be fitted to it."""
    async with db.session() as session, session.begin():
        intake = await locked_intake(session, intake_id)
        if intake.seed_revealed_at is not None:
            return
        if intake.list_published_at is None:
            raise OutOfOrder("Publish the eligible list before the seed.")
        intake.seed_revealed_at = now
        audit(session, intake_id, staff_id, "reveal_seed", f"commitment {intake.commitment}", now)


async def run_draw(
    db: Database, intake_id: int, staff_id: int | None, clock: Callable[[], datetime]
) -> None:
    """The staff button: the list is published (committed) first, then the seed."""
    await publish_list(db, intake_id, staff_id, clock())
    await reveal_seed(db, intake_id, staff_id, clock())


async def published(db: Database, intake_id: int) -> draw.Published | None:
    """What anyone may see of the draw now (None: the intake does not exist)."""
    async with db.session() as session:
        intake = await session.get(Intake, intake_id)
        if intake is None:
            return None
        numbers: tuple[str, ...] = ()
        if intake.list_published_at is not None:
            numbers = tuple(await eligible_numbers(session, intake_id))
        rows = (
            await session.execute(
                select(Invitation.round, Entry.confirmation)
                .join(Entry, Entry.id == Invitation.entry_id)
                .where(Invitation.intake_id == intake_id)
                .order_by(Invitation.round, Invitation.place)
            )
        ).all()
    rounds: dict[int, list[str]] = {}
    for number, confirmation in rows:
        rounds.setdefault(number, []).append(confirmation)
    seed = intake.seed_hex if intake.seed_revealed_at is not None else None
    return draw.Published(
        intake.commitment,
        seed,
        numbers,
        tuple(tuple(rounds[k]) for k in sorted(rounds)),
        intake.list_digest,
    )


@dataclass(frozen=True, slots=True)
class Counts:
    received: int
    duplicates_removed: int
    eligible: int
    invited: int
    rounds: int
    open_flags: int


async def counts(db: Database, intake_id: int) -> Counts:
    """The published figures: forms received (refused duplicates included), duplicates
    removed (refused at submission or removed at review), eligible, invited."""
    async with db.session() as session:
        by_state = {
            state: count
            for state, count in (
                await session.execute(
                    select(Entry.state, func.count())
                    .where(Entry.intake_id == intake_id)
                    .group_by(Entry.state)
                )
            ).all()
        }
        refused = int(
            await session.scalar(
                select(func.count()).select_from(Refusal).where(Refusal.intake_id == intake_id)
            )
            or 0
        )
        invited, rounds = (
            await session.execute(
                select(func.count(), func.count(func.distinct(Invitation.round))).where(
                    Invitation.intake_id == intake_id
                )
            )
        ).one()
        open_flags = int(
            await session.scalar(
                select(func.count())
                .select_from(Flag)
                .where(Flag.intake_id == intake_id, Flag.decision.is_(None))
            )
            or 0
        )
    kept, removed = int(by_state.get("received", 0)), int(by_state.get("removed", 0))
    return Counts(
        received=kept + removed + refused,
        duplicates_removed=removed + refused,
        eligible=kept,
        invited=int(invited),
        rounds=int(rounds),
        open_flags=open_flags,
    )

"""Closing an intake: likely duplicates flagged, then decided by staff (every step audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from northbound.portal.accounts.clock import aware
from northbound.portal.lottery.identity import Person, likely_duplicates
from northbound.portal.lottery.models import Entry, Flag, Intake
from northbound.storage.database import Database

from .intakes import OutOfOrder, audit, locked_intake

DECISIONS = ("keep_both", "remove_second", "remove_first")


async def close_intake(db: Database, intake_id: int, staff_id: int | None, now: datetime) -> int:
    """Stop taking forms (if the window is still open) and flag likely duplicates.

    Safe to run again: pairs already flagged are not flagged twice. Returns new flags.
    """
    async with db.session() as session, session.begin():
        intake = await locked_intake(session, intake_id)
        if now < aware(intake.opens_at):
            raise OutOfOrder("The intake has not opened yet.")
        if intake.list_published_at is not None:
            raise OutOfOrder("The eligible list is already published.")
        if intake.closed_at is None:
            intake.closed_at = min(now, aware(intake.closes_at))
        entries = (
            await session.execute(
                select(Entry).where(Entry.intake_id == intake_id, Entry.state == "received")
            )
        ).scalars()
        people = [
            Person(
                e.id,
                e.family_name,
                e.given_names,
                e.date_of_birth,
                e.email,
                e.address,
                e.postal_code,
            )
            for e in entries
        ]
        known = {
            (f.first_entry_id, f.second_entry_id)
            for f in (
                await session.execute(select(Flag).where(Flag.intake_id == intake_id))
            ).scalars()
        }
        added = 0
        for pair in likely_duplicates(people):
            if (pair.first_id, pair.second_id) in known:
                continue
            session.add(
                Flag(
                    intake_id=intake_id,
                    first_entry_id=pair.first_id,
                    second_entry_id=pair.second_id,
                    reason=pair.reason[:200],
                )
            )
            added += 1
        audit(session, intake_id, staff_id, "close", f"{added} likely duplicate(s) flagged", now)
    return added


@dataclass(frozen=True, slots=True)
class FlagView:
    flag: Flag
    first: Entry
    second: Entry


async def flags_of(db: Database, intake_id: int) -> list[FlagView]:
    async with db.session() as session:
        flags = list(
            (
                await session.execute(
                    select(Flag).where(Flag.intake_id == intake_id).order_by(Flag.id)
                )
            ).scalars()
        )
        ids = {f.first_entry_id for f in flags} | {f.second_entry_id for f in flags}
        entries = (
            {
                e.id: e
                for e in (await session.execute(select(Entry).where(Entry.id.in_(ids)))).scalars()
            }
            if ids
            else {}
        )
    return [FlagView(f, entries[f.first_entry_id], entries[f.second_entry_id]) for f in flags]


async def decide_flag(
    db: Database, intake_id: int, flag_id: int, decision: str, staff_id: int, now: datetime
) -> None:
    """Record a staff member's decision on one flag (audited); removal marks the form removed.

    A decision can be changed until the eligible list is published, never after.
    """
    if decision not in DECISIONS:
        raise ValueError(decision)
    async with db.session() as session, session.begin():
        intake = await session.get(Intake, intake_id, with_for_update=True)
        flag = await session.get(Flag, flag_id)
        if intake is None or flag is None or flag.intake_id != intake_id:
            raise LookupError(flag_id)
        if intake.list_published_at is not None:
            raise OutOfOrder("The eligible list is already published.")
        flag.decision, flag.decided_by, flag.decided_at = decision, staff_id, now
        await session.flush()
        # An entry is removed while any decided flag removes it (one form can be flagged
        # with several others), so both entries' states are worked out again from all flags.
        for entry_id in (flag.first_entry_id, flag.second_entry_id):
            removing = (
                (
                    await session.execute(
                        select(Flag)
                        .where(
                            ((Flag.first_entry_id == entry_id) & (Flag.decision == "remove_first"))
                            | (
                                (Flag.second_entry_id == entry_id)
                                & (Flag.decision == "remove_second")
                            )
                        )
                        .order_by(Flag.id)
                    )
                )
                .scalars()
                .first()
            )
            await session.execute(
                update(Entry)
                .where(Entry.id == entry_id)
                .values(
                    state="removed" if removing else "received",
                    removed_reason=f"Duplicate (flag {removing.id}): {removing.reason}"[:200]
                    if removing
                    else None,
                )
            )
        audit(session, intake_id, staff_id, "flag", f"flag {flag.id}: {decision}", now)

"""Intakes, forms, duplicates, the draw and invitations: every read and write of the lottery.

Order of an intake's life (each step refuses to run out of order)::

    created (commitment fixed) -> opens -> closes (likely duplicates flagged)
      -> every flag decided -> eligible list published -> seed revealed -> invitation rounds

Submissions go through ``applications.service.run_once``: the idempotency key is stored in the
same transaction as the form, so a retry or a double click gets the same confirmation number,
and the number is shown only after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.accounts.clock import aware
from northbound.portal.accounts.models import User
from northbound.portal.applications.idempotency import Recorded, fingerprint, previous_result
from northbound.portal.applications.messages import add_message
from northbound.portal.applications.receipts import new_receipt
from northbound.portal.applications.service import run_once
from northbound.portal.lottery import draw
from northbound.portal.lottery.identity import (
    Person,
    document_key,
    identity_key,
    likely_duplicates,
)
from northbound.portal.lottery.models import Audit, Entry, Flag, Intake, Invitation, Refusal
from northbound.settings import Language
from northbound.storage.database import Database

RECEIPT_PREFIX = "PG"
INVITATION_DAYS = 60
DECISIONS = ("keep_both", "remove_second", "remove_first")
MAX_NOTICE = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class FormReceived(Recorded):
    confirmation: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundSent(Recorded):
    round: int  # its number, from 1
    invited: int  # how many it invited


class OutOfOrder(Exception):
    """The step cannot run now (e.g. the seed before the list); ``str(exc)`` says why."""


class NotOpen(Exception):
    """The intake is not taking forms now."""


class Duplicate(Exception):
    """An exact duplicate: ``field`` is where the message goes, ``existing`` the sponsor's own
    earlier confirmation number when the duplicate is their own second form."""

    def __init__(self, field: str, message: str, existing: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.existing = existing


# -- intakes ---------------------------------------------------------------------------------


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
        _audit(
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


def _audit(
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
        _audit(session, intake_id, staff_id, "view", f"{shown} flagged pair(s) shown", now)


async def audit_trail(db: Database, intake_id: int) -> list[Audit]:
    async with db.session() as session:
        rows = await session.execute(
            select(Audit).where(Audit.intake_id == intake_id).order_by(Audit.id.desc()).limit(200)
        )
        return list(rows.scalars())


# -- forms -----------------------------------------------------------------------------------


async def _refuse(db: Database, intake_id: int, reason: str, now: datetime) -> None:
    async with db.session() as session, session.begin():
        session.add(Refusal(intake_id=intake_id, reason=reason, at=now))


async def _existing(
    session: AsyncSession, intake_id: int, user_id: int, identity: str, document: str
) -> Duplicate | None:
    rows = (
        await session.execute(
            select(Entry.user_id, Entry.identity_key, Entry.document_key, Entry.confirmation).where(
                Entry.intake_id == intake_id,
                (Entry.user_id == user_id)
                | (Entry.identity_key == identity)
                | (Entry.document_key == document),
            )
        )
    ).all()
    for owner, found_identity, found_document, confirmation in rows:
        if owner == user_id:
            return Duplicate(
                "form",
                "You already sent a form for this intake. Your confirmation number is below.",
                existing=confirmation,
            )
        if found_identity == identity:
            return Duplicate(
                "family_name",
                "A form for a sponsor with this name and date of "
                "birth was already received in this intake. Each sponsor may "
                "send one form.",
            )
        if found_document == document:
            return Duplicate(
                "status_document_number",
                "A form with this document number was "
                "already received in this intake. Each sponsor may send one "
                "form.",
            )
    return None


async def submit_form(
    db: Database,
    intake: Intake,
    user_id: int,
    values: dict[str, str],
    key: str,
    now: datetime,
) -> FormReceived:
    """Store one checked form; returns its confirmation number.

    Raises :class:`NotOpen` outside the window and :class:`Duplicate` for an exact duplicate
    (a refusal row is written for the published counts, except for a sponsor's own resend).
    A retry with the same key returns the first confirmation even after the window closed:
    the form was received in time, only the answer got lost.
    """
    identity = identity_key(values["family_name"], values["given_names"], values["date_of_birth"])
    document = document_key(values["status_document_number"])
    is_open = phase(intake, now) == "open"

    async def work(session: AsyncSession) -> FormReceived:
        if not is_open:
            raise NotOpen()
        # Checked inside the transaction: after a unique-constraint conflict ``run_once``
        # starts again, and this read finds the form that won the race.
        duplicate = await _existing(session, intake.id, user_id, identity, document)
        if duplicate is not None:
            raise duplicate
        entry = Entry(
            intake_id=intake.id,
            user_id=user_id,
            confirmation=new_receipt(RECEIPT_PREFIX),
            identity_key=identity,
            document_key=document,
            family_name=values["family_name"],
            given_names=values["given_names"],
            date_of_birth=values["date_of_birth"],
            email=values["email"],
            address=values["address"],
            postal_code=values["postal_code"],
            answers=json.dumps(values, sort_keys=True, ensure_ascii=False),
            state="received",
            created_at=now,
        )
        session.add(entry)
        return FormReceived(confirmation=entry.confirmation)

    action = f"lottery:{intake.id}"
    try:
        return await run_once(db, user_id, key, action, values, work, FormReceived)
    except Duplicate as exc:
        if exc.existing is not None:
            # A double click: the other request committed this key between our key lookup
            # and our duplicate check. Its result is the answer to this one too.
            async with db.session() as session:
                prior = await previous_result(
                    session, user_id, key, action, fingerprint(action, values)
                )
            if prior is not None:
                return FormReceived.replay(prior)
        else:
            await _refuse(
                db, intake.id, "identity" if exc.field == "family_name" else "document", now
            )
        raise


async def entry_of(db: Database, intake_id: int, user_id: int) -> Entry | None:
    async with db.session() as session:
        return (
            await session.execute(
                select(Entry).where(Entry.intake_id == intake_id, Entry.user_id == user_id)
            )
        ).scalar_one_or_none()


async def invitation_of(db: Database, entry_id: int) -> Invitation | None:
    async with db.session() as session:
        return (
            await session.execute(select(Invitation).where(Invitation.entry_id == entry_id))
        ).scalar_one_or_none()


# -- closing and duplicates ------------------------------------------------------------------


async def close_intake(db: Database, intake_id: int, staff_id: int | None, now: datetime) -> int:
    """Stop taking forms (if the window is still open) and flag likely duplicates.

    Safe to run again: pairs already flagged are not flagged twice. Returns new flags.
    """
    async with db.session() as session, session.begin():
        intake = await session.get(Intake, intake_id, with_for_update=True)
        if intake is None:
            raise LookupError(intake_id)
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
        _audit(session, intake_id, staff_id, "close", f"{added} likely duplicate(s) flagged", now)
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
        _audit(session, intake_id, staff_id, "flag", f"flag {flag.id}: {decision}", now)


# -- the draw --------------------------------------------------------------------------------


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
        intake = await session.get(Intake, intake_id, with_for_update=True)
        if intake is None:
            raise LookupError(intake_id)
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
        _audit(
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
        intake = await session.get(Intake, intake_id, with_for_update=True)
        if intake is None:
            raise LookupError(intake_id)
        if intake.seed_revealed_at is not None:
            return
        if intake.list_published_at is None:
            raise OutOfOrder("Publish the eligible list before the seed.")
        intake.seed_revealed_at = now
        _audit(session, intake_id, staff_id, "reveal_seed", f"commitment {intake.commitment}", now)


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
        _audit(
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


async def invited_count(db: Database, intake_id: int) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.intake_id == intake_id)
            )
            or 0
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

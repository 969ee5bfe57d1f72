"""Sponsors' forms: exact duplicates refused at the door, one confirmation number per form.

Submissions go through ``applications.service.run_once``: the idempotency key is stored in the
same transaction as the form, so a retry or a double click gets the same confirmation number,
and the number is shown only after the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.idempotency import Recorded, fingerprint, previous_result
from northbound.portal.applications.receipts import new_receipt
from northbound.portal.applications.service import run_once
from northbound.portal.lottery.identity import document_key, identity_key
from northbound.portal.lottery.models import Entry, Intake, Refusal
from northbound.storage.database import Database

from .intakes import phase

RECEIPT_PREFIX = "PG"


@dataclass(frozen=True, slots=True, kw_only=True)
class FormReceived(Recorded):
    confirmation: str


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

"""Enquiries (person → staff) and the secure inbox (staff → person)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.idempotency import Recorded
from northbound.portal.applications.models import Application, Enquiry, InboxMessage
from northbound.portal.applications.receipts import new_receipt
from northbound.portal.applications.service import run_once
from northbound.storage.database import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquirySent(Recorded):
    reference: str


TOPICS: tuple[tuple[str, str], ...] = (
    ("status", "The status of my application"),
    ("documents", "Documents I sent or need to send"),
    ("change", "A change to my contact details or situation"),
    ("technical", "A technical problem with my account"),
    ("other", "Something else"),
)
MIN_BODY, MAX_BODY = 10, 4000


def body_error(body: str) -> str | None:
    """What is wrong with a message someone writes to us, if anything."""
    text = body.strip()
    if len(text) < MIN_BODY:
        return "Describe your question in at least 10 characters."
    if len(text) > MAX_BODY:
        return "Use 4,000 characters or fewer."
    if any(ord(c) < 32 and c not in "\r\n\t" for c in text):
        return "Remove special characters from your message."
    return None


def check_enquiry(topic: str, body: str, application_id: str, own_ids: set[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if topic not in {key for key, _ in TOPICS}:
        errors["topic"] = "Choose one of the options."
    problem = body_error(body)
    if problem:
        errors["body"] = problem
    if application_id and application_id not in own_ids:
        errors["application"] = "Choose one of the options."
    return errors


async def send_enquiry(
    db: Database,
    user_id: int,
    topic: str,
    body: str,
    application_id: str | None,
    key: str,
    now: datetime,
) -> str:
    """Store the enquiry (idempotently); returns its reference number."""

    async def work(session: AsyncSession) -> EnquirySent:
        enquiry = Enquiry(
            reference=new_receipt("EQ"),
            user_id=user_id,
            topic=topic,
            body=body.strip(),
            application_id=application_id or None,
            state="open",
            created_at=now,
        )
        session.add(enquiry)
        return EnquirySent(reference=enquiry.reference)

    payload = {"topic": topic, "body": body.strip(), "application": application_id or ""}
    result = await run_once(db, user_id, key, "enquiry", payload, work, EnquirySent)
    return result.reference


async def enquiries_of(db: Database, user_id: int) -> list[Enquiry]:
    async with db.session() as session:
        rows = await session.execute(
            select(Enquiry).where(Enquiry.user_id == user_id).order_by(Enquiry.id.desc())
        )
        return list(rows.scalars())


async def open_enquiries(db: Database, limit: int = 200) -> list[Enquiry]:
    async with db.session() as session:
        rows = await session.execute(
            select(Enquiry).where(Enquiry.state == "open").order_by(Enquiry.id).limit(limit)
        )
        return list(rows.scalars())


async def inbox(db: Database, user_id: int) -> list[InboxMessage]:
    async with db.session() as session:
        rows = await session.execute(
            select(InboxMessage)
            .where(InboxMessage.user_id == user_id)
            .order_by(InboxMessage.id.desc())
            .limit(200)
        )
        return list(rows.scalars())


async def unread_count(db: Database, user_id: int) -> int:
    async with db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InboxMessage)
            .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
        )
        return int(count or 0)


async def mark_read(db: Database, user_id: int, now: datetime) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(InboxMessage)
            .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
            .values(read_at=now)
        )


def add_message(
    session: AsyncSession,
    *,
    user_id: int,
    subject: str,
    body: str,
    now: datetime,
    sender_id: int | None = None,
    application_id: str | None = None,
    enquiry_id: int | None = None,
) -> None:
    session.add(
        InboxMessage(
            user_id=user_id,
            subject=subject[:200],
            body=body,
            sender_id=sender_id,
            application_id=application_id,
            enquiry_id=enquiry_id,
            created_at=now,
        )
    )


async def application_owner(session: AsyncSession, application_id: str) -> int | None:
    return (
        await session.execute(select(Application.user_id).where(Application.id == application_id))
    ).scalar_one_or_none()

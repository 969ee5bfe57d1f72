"""Checking, storing and answering contact messages.

Storing a message and queueing its acknowledgment email is one transaction, like every other
submission: a reference is shown only once both are durable, and the email cannot be lost
while the message is kept (or sent for a message that was not).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from northbound.portal.accounts.emails import normalise_email
from northbound.portal.accounts.mail import queue_mail
from northbound.portal.applications.idempotency import KeyReused, fingerprint
from northbound.portal.applications.messages import body_error
from northbound.portal.applications.models import StaffViewAudit
from northbound.portal.applications.receipts import new_receipt, normalise_receipt
from northbound.portal.applications.service import Busy
from northbound.portal.contact.models import ContactRequest
from northbound.settings import Language
from northbound.storage.database import Database
from northbound.web.i18n import gettext

TOPICS: tuple[tuple[str, str], ...] = (
    ("sign_in", "I cannot sign in to my account"),
    ("status", "The status of my application"),
    ("documents", "Documents I sent or need to send"),
    ("change", "A change to my contact details or situation"),
    ("other", "Something else"),
)
MAX_NAME = 120
UCI = re.compile(r"^(?:\d{8}|\d{10})$")
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ContactMessage:
    """What the person wrote, cleaned (the email lower-cased, the file number formatted)."""

    name: str
    email: str
    language: Language
    topic: str
    file_number: str
    body: str


@dataclass(frozen=True, slots=True)
class Sent:
    reference: str
    replayed: bool


def check_contact(
    name: str, email: str, topic: str, file_number: str, body: str, language: Language
) -> tuple[ContactMessage | None, dict[str, str]]:
    """The cleaned message, or the error to show next to each field."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Enter your name."
    elif len(name) > MAX_NAME:
        errors["name"] = "Use 120 characters or fewer."
    elif any(ord(char) < 32 for char in name):
        errors["name"] = "Remove special characters from your name."
    address = normalise_email(email)
    if address is None:
        errors["email"] = "Enter an email address in the form name@example.com."
    if topic not in dict(TOPICS):
        errors["topic"] = "Choose one of the options."
    number = file_number.strip()
    if number:
        compact = re.sub(r"[\s-]", "", number)
        if UCI.match(compact):
            number = compact
        else:
            receipt = normalise_receipt(number)
            if receipt is None:
                errors["file_number"] = (
                    "Enter a receipt number such as CZ-482-193-0572, or a "
                    "client ID of 8 or 10 digits, or leave this empty."
                )
            number = receipt or number
    problem = body_error(body)
    if problem:
        errors["body"] = problem
    if errors or address is None:
        return None, errors
    return ContactMessage(name, address, language, topic, number, body.strip()), {}


def _acknowledgment(message: ContactMessage, reference: str) -> tuple[str, str]:
    language = message.language
    subject = gettext(language, "We received your message (%(reference)s)") % {
        "reference": reference
    }
    body = gettext(
        language,
        (
            "Hello %(name)s,\n\nWe received your message. Its reference number is %(reference)s: "
            "give it if you write to us or call us about it.\n\nWe answer by email, usually within "
            "10 working days. We never ask for a password or a payment by email.\n"
        ),
    ) % {"name": message.name, "reference": reference}
    return subject, body


async def send_contact(db: Database, message: ContactMessage, key: str, now: datetime) -> Sent:
    """Store the message and its acknowledgment email, once per ``key``.

    A retry with the same key and the same answers returns the first reference; the same key
    with other answers raises :class:`KeyReused`. A unique conflict means a concurrent attempt
    with the key (or a reference collision) committed first: read again.
    """
    print_ = fingerprint("contact", asdict(message))
    for _ in range(ATTEMPTS):
        async with db.session() as session:
            try:
                async with session.begin():
                    prior = (
                        await session.execute(
                            select(ContactRequest).where(ContactRequest.idempotency_key == key)
                        )
                    ).scalar_one_or_none()
                    if prior is not None:
                        if prior.fingerprint != print_:
                            raise KeyReused()
                        return Sent(prior.reference, replayed=True)
                    reference = new_receipt("CT")
                    session.add(
                        ContactRequest(
                            reference=reference,
                            idempotency_key=key,
                            fingerprint=print_,
                            name=message.name,
                            email=message.email,
                            language=message.language,
                            topic=message.topic,
                            file_number=message.file_number,
                            body=message.body,
                            state="open",
                            created_at=now,
                        )
                    )
                    subject, text = _acknowledgment(message, reference)
                    queue_mail(session, message.email, subject, text)
                return Sent(reference, replayed=False)
            except IntegrityError:
                continue
    raise Busy()


async def open_requests(db: Database, limit: int = 200) -> Sequence[ContactRequest]:
    async with db.session() as session:
        rows = await session.execute(
            select(ContactRequest)
            .where(ContactRequest.state == "open")
            .order_by(ContactRequest.id)
            .limit(limit)
        )
        return list(rows.scalars())


async def answer(
    db: Database, staff_id: int, request_id: int, body: str, now: datetime
) -> bool | None:
    """Email the answer and close the message (audited). False if it was answered already
    (a double-click, or another officer first: one email either way), None if there is no
    such message. Closing is a conditional update, so two answers at once send one email.
    """
    async with db.session() as session, session.begin():
        closed = await session.execute(
            update(ContactRequest)
            .where(ContactRequest.id == request_id, ContactRequest.state == "open")
            .values(state="answered", answered_at=now, answered_by=staff_id)
            .returning(ContactRequest.email, ContactRequest.reference, ContactRequest.language)
        )
        row = closed.one_or_none()
        if row is None:
            exists = await session.get(ContactRequest, request_id)
            return False if exists is not None else None
        email, reference, language = row
        lang: Language = "fr" if language == "fr" else "en"
        subject = gettext(lang, "Answer to your message %(reference)s") % {"reference": reference}
        queue_mail(session, email, subject, body.strip())
        session.add(
            StaffViewAudit(
                staff_user_id=staff_id,
                application_id=None,
                action="contact:answer",
                at=now,
                detail=f"answered {reference}",
            )
        )
    return True

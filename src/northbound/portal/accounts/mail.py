"""The mail outbox: mail is a row written in the same transaction as the change behind it.

Sending happens afterwards (SMTP when configured, in a worker thread); ``northbound outbox``
prints what is pending for local use. A crash between commit and send loses nothing: the row
stays pending and is sent next time.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import weakref
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from northbound.portal.accounts.config import AccountSettings
from northbound.portal.accounts.models import OutboxMail
from northbound.storage.database import Database
from northbound.storage.models import utcnow

log = logging.getLogger(__name__)


def queue_mail(session: AsyncSession, to: str, subject: str, body: str) -> None:
    session.add(OutboxMail(to_address=to, subject=subject[:200], body=body, created_at=utcnow()))


async def pending_mail(db: Database, limit: int = 100) -> list[OutboxMail]:
    async with db.session() as session:
        rows = await session.execute(
            select(OutboxMail)
            .where(OutboxMail.sent_at.is_(None))
            .order_by(OutboxMail.id)
            .limit(limit)
        )
        return list(rows.scalars())


def _send_one(settings: AccountSettings, mail: OutboxMail) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


# One sender per database in this process, so two requests never send the same row twice.
# Across instances delivery is at-least-once (a crash after sending, before marking, resends).
_SENDERS: weakref.WeakKeyDictionary[Database, asyncio.Lock] = weakref.WeakKeyDictionary()


async def deliver_pending(db: Database, settings: AccountSettings) -> int:
    """Send pending mail by SMTP; returns how many went. Does nothing without an SMTP host."""
    if not settings.smtp_host:
        return 0
    lock = _SENDERS.setdefault(db, asyncio.Lock())
    async with lock:
        return await _deliver(db, settings)


def delivery_task(db: Database, settings: AccountSettings) -> BackgroundTask | None:
    """A task to run after the response (and so after the commit), when SMTP is configured."""
    if not settings.smtp_host:
        return None
    return BackgroundTask(_deliver_quietly, db, settings)


async def _deliver_quietly(db: Database, settings: AccountSettings) -> None:
    try:
        await deliver_pending(db, settings)
    except Exception as exc:  # the rows stay pending; `northbound outbox --send` retries
        log.warning("mail delivery failed", extra={"error": type(exc).__name__})


async def _deliver(db: Database, settings: AccountSettings) -> int:
    sent = 0
    for mail in await pending_mail(db):
        try:
            await asyncio.to_thread(_send_one, settings, mail)
        except (OSError, smtplib.SMTPException) as exc:
            # The address is personal data: log the row id only.
            log.warning("mail not sent", extra={"mail_id": mail.id, "error": type(exc).__name__})
            async with db.session() as session, session.begin():
                await session.execute(
                    update(OutboxMail)
                    .where(OutboxMail.id == mail.id)
                    .values(attempts=OutboxMail.attempts + 1)
                )
            continue
        async with db.session() as session, session.begin():
            await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail.id)
                .values(sent_at=utcnow(), attempts=OutboxMail.attempts + 1)
            )
        sent += 1
    return sent

"""Nothing lost: every receipt a person was shown must exist exactly once in the site's data.

The lab keeps a ledger of acknowledgements (email, receipt number) as people read them on
their receipt page. After the run it reads the site's database (read only, the same
SQLAlchemy models the site uses) and compares:

- ``found``: acknowledged receipts stored, once, for the same person;
- ``lost``: acknowledged receipts the database does not have (or has for someone else);
- ``duplicated``: submissions stored beyond one per person of this run (each virtual person
  submits one application, retries carry the same idempotency key) plus receipt numbers
  stored more than once.

:func:`check` is pure; :class:`SiteData` reads the database (and the outbox, for the
verification link a person would find in their mail).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from .journeys import Acknowledgement

_LINK = re.compile(r"https?://[^/\s]+(/[^\s]*\?token=[A-Za-z0-9_\-]+)")


@dataclass(frozen=True, slots=True)
class Stored:
    email: str
    receipt: str


@dataclass(frozen=True, slots=True)
class SubmissionCheck:
    acknowledged: int
    found: int
    lost: int
    duplicated: int
    lost_receipts: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "acknowledged": self.acknowledged,
            "found": self.found,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "lost_receipts": list(self.lost_receipts[:20]),
        }


def check(acknowledged: Iterable[Acknowledgement], stored: Iterable[Stored]) -> SubmissionCheck:
    """Compare the ledger with the stored submissions of the run's people."""
    ledger = {(a.email.lower(), a.receipt) for a in acknowledged}
    rows = list(stored)
    by_receipt = Counter(row.receipt for row in rows)
    owner = {row.receipt: row.email.lower() for row in rows}
    per_person = Counter(row.email.lower() for row in rows)
    lost = sorted(receipt for email, receipt in ledger if owner.get(receipt) != email)
    duplicated = sum(n - 1 for n in per_person.values() if n > 1)
    duplicated += sum(n - 1 for n in by_receipt.values() if n > 1)
    return SubmissionCheck(len(ledger), len(ledger) - len(lost), len(lost), duplicated, tuple(lost))


class SiteData:
    """Read-only look at a Northbound database (``NORTHBOUND_DATABASE_URL`` form)."""

    def __init__(self, database_url: str) -> None:
        from northbound.storage.database import Database

        self.db = Database(database_url)

    async def submissions(self, email_like: str) -> list[Stored]:
        """Submitted applications of accounts whose address matches ``email_like`` (SQL LIKE)."""
        from northbound.portal.accounts.models import User
        from northbound.portal.applications.models import Application

        async with self.db.session() as session:
            rows = await session.execute(
                select(User.email, Application.receipt_number)
                .join(Application, Application.user_id == User.id)
                .where(User.email.like(email_like), Application.receipt_number.is_not(None))
            )
            return [Stored(email, receipt) for email, receipt in rows.all() if receipt]

    async def verification_link(self, email: str) -> str | None:
        """The path of the newest link mailed to ``email`` (as the person would click it)."""
        from northbound.portal.accounts.models import OutboxMail

        async with self.db.session() as session:
            body = await session.scalar(
                select(OutboxMail.body)
                .where(OutboxMail.to_address == email.lower())
                .order_by(OutboxMail.id.desc())
                .limit(1)
            )
        found = _LINK.search(body or "")
        return found.group(1) if found else None

    async def close(self) -> None:
        await self.db.dispose()

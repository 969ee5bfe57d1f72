"""Messages sent through the contact form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from northbound.storage.models import Base, utcnow


class ContactRequest(Base):
    """One message from the contact form.

    There is no account to attach an idempotency record to, so the form's key lives on the row
    itself (unique): the insert and the key are one write, and a retry finds the row by its key.
    ``fingerprint`` tells a retry (same answers) from a reused key (other answers).
    """

    __tablename__ = "contact_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    topic: Mapped[str] = mapped_column(String(32), nullable=False)
    file_number: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("account_user.id", ondelete="SET NULL")
    )

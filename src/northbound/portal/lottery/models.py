"""Tables of the lottery package: intakes, interest-to-sponsor forms, duplicate flags,
invitations and the staff audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from northbound.storage.models import Base, utcnow


class Intake(Base):
    """One intake window and its draw.

    The seed is chosen at creation and kept secret until ``seed_revealed_at``; its SHA-256
    (``commitment``) is public from the opening. ``list_published_at`` freezes the eligible
    list; the seed is revealed only after it (the service refuses the other order).
    """

    __tablename__ = "lottery_intake"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    invitation_target: Mapped[int] = mapped_column(Integer, nullable=False)
    application_cap: Mapped[int] = mapped_column(Integer, nullable=False)
    notice_en: Mapped[str] = mapped_column(Text, nullable=False)
    notice_fr: Mapped[str] = mapped_column(Text, nullable=False)
    seed_hex: Mapped[str] = mapped_column(String(64), nullable=False)
    commitment: Mapped[str] = mapped_column(String(64), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    list_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    list_digest: Mapped[str | None] = mapped_column(String(64))
    seed_revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class Entry(Base):
    """One interest-to-sponsor form. ``state``: ``received`` or ``removed`` (a duplicate)."""

    __tablename__ = "lottery_entry"
    __table_args__ = (
        UniqueConstraint("intake_id", "user_id", name="uq_lottery_entry_intake_user"),
        UniqueConstraint("intake_id", "identity_key", name="uq_lottery_entry_intake_identity"),
        UniqueConstraint("intake_id", "document_key", name="uq_lottery_entry_intake_document"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_intake.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("account_user.id", ondelete="CASCADE"), nullable=False
    )
    confirmation: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    identity_key: Mapped[str] = mapped_column(String(64), nullable=False)
    document_key: Mapped[str] = mapped_column(String(64), nullable=False)
    family_name: Mapped[str] = mapped_column(String(60), nullable=False)
    given_names: Mapped[str] = mapped_column(String(80), nullable=False)
    date_of_birth: Mapped[str] = mapped_column(String(10), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    address: Mapped[str] = mapped_column(String(120), nullable=False)
    postal_code: Mapped[str] = mapped_column(String(7), nullable=False)
    # Every answer as cleaned, JSON (the staff review shows them; the draw needs none).
    answers: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="received")
    removed_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Refusal(Base):
    """A form refused as an exact duplicate: counted in "forms received" and "duplicates
    removed" (insert-only, so the opening surge never waits on one shared counter row)."""

    __tablename__ = "lottery_refusal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_intake.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Flag(Base):
    """Two forms that may be one sponsor's. ``decision``: None (open), ``keep_both``,
    ``remove_second`` or ``remove_first``."""

    __tablename__ = "lottery_flag"
    __table_args__ = (
        UniqueConstraint("first_entry_id", "second_entry_id", name="uq_lottery_flag_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_intake.id", ondelete="CASCADE"), nullable=False, index=True
    )
    first_entry_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_entry.id", ondelete="CASCADE"), nullable=False
    )
    second_entry_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_entry.id", ondelete="CASCADE"), nullable=False
    )
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("account_user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    __tablename__ = "lottery_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_intake.id", ondelete="CASCADE"), nullable=False, index=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_entry.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    place: Mapped[int] = mapped_column(Integer, nullable=False)  # 1-based place in the order
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Audit(Base):
    """Every staff action on an intake: who, what, when (written with the change)."""

    __tablename__ = "lottery_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_intake.id", ondelete="CASCADE"), nullable=False, index=True
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_user.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    detail: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

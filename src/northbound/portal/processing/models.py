"""The processing-time estimates staff publish."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from northbound.storage.models import Base, utcnow


class ProcessingEstimate(Base):
    """One published estimate: a type of application, and a country where that matters.

    ``country`` is the empty string for a type with one estimate everywhere (an empty string,
    not NULL, so the unique constraint holds on every database).
    """

    __tablename__ = "processing_estimate"
    __table_args__ = (UniqueConstraint("application_type", "country"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_type: Mapped[str] = mapped_column(String(32), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    published_on: Mapped[date] = mapped_column(Date, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(120), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )

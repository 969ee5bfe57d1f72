"""Time as the accounts code sees it: injectable, so tests move it instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

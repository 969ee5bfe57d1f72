"""The fake clocks the code under test is handed instead of the real one: the tests move them by
hand, so nothing sleeps and every reading is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Seconds, as ``time.monotonic`` or ``time.time`` would give them."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeWallClock:
    """An aware UTC datetime, for code that keeps dates (sessions, intakes, draws)."""

    def __init__(self, start: datetime = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

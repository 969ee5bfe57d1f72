"""Citizenship physical presence (Citizenship Act s.5(1)(c) and IRCC's calculator rules).

Credit is counted over the 5 years before the application date:
- each day in Canada as a permanent resident earns 1 day;
- each day in Canada before becoming a PR, as a temporary resident or protected person,
  earns half a day, with that credit capped at 365;
- the day of departure and the day of return both count as days in Canada, so a trip
  leaving on day D and returning on day R is absent R - D - 1 days;
- days serving a sentence earn nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Final

from northbound.portal.eligibility.text import N_, Message, Problem

REQUIRED_DAYS: Final = 1095
WINDOW_YEARS: Final = 5
TEMPORARY_CREDIT_CAP: Final = 365


@dataclass(frozen=True, slots=True)
class Period:
    """Both ends inclusive."""

    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Absence:
    departure: date
    return_date: date


@dataclass(frozen=True, slots=True)
class PresenceInput:
    application_date: date
    pr_date: date
    temporary_periods: Sequence[Period] = ()
    absences: Sequence[Absence] = ()
    sentence_periods: Sequence[Period] = ()


@dataclass(frozen=True, slots=True)
class PresenceResult:
    eligible: bool
    total_credit: float
    required: int
    pr_days: int
    temporary_days: int
    temporary_credit: float
    days_absent: int
    sentence_days: int
    window_start: date
    window_end: date
    earliest_eligible_date: date | None


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February falls back to 1 March, so the
    window never spans more than the stated number of years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 3, 1)


def window_for(application_date: date) -> tuple[date, date]:
    """The counting window: from 5 years before the application date to the day before it."""
    return years_before(application_date, WINDOW_YEARS), application_date - timedelta(days=1)


def presence_problems(inp: PresenceInput) -> list[Problem]:
    """Inconsistent dates, each with the path of the field to fix."""
    problems: list[Problem] = []
    if inp.application_date < inp.pr_date:
        problems.append(
            Problem(
                ("application_date",),
                Message(N_("The application date must be on or after your PR date.")),
            )
        )
    after_application = Message(N_("This date must be on or before the application date."))
    for name, periods in (
        ("temporary_periods", inp.temporary_periods),
        ("sentence_periods", inp.sentence_periods),
    ):
        for i, period in enumerate(periods):
            if period.end < period.start:
                problems.append(
                    Problem(
                        (name, i, "end"),
                        Message(N_("The end date must be on or after the start date.")),
                    )
                )
            elif period.end > inp.application_date:
                problems.append(Problem((name, i, "end"), after_application))
    for i, absence in enumerate(inp.absences):
        if absence.return_date < absence.departure:
            problems.append(
                Problem(
                    ("absences", i, "return"),
                    Message(N_("The return date must be on or after the departure date.")),
                )
            )
        elif absence.return_date > inp.application_date:
            problems.append(Problem(("absences", i, "return"), after_application))
    return problems


class _Timeline:
    """Per-day credit from ``base`` onwards, with prefix sums for any window in O(1).

    Days after the last declared event are assumed spent in Canada as a permanent resident,
    which is what "if you stay in Canada from now on" means.
    """

    def __init__(self, inp: PresenceInput, base: date, end: date) -> None:
        self.base = base
        size = (end - base).days + 1
        pr = bytearray(size)
        temp = bytearray(size)
        self.absent = bytearray(size)
        self.sentence = bytearray(size)
        for a in inp.absences:
            self._mark(
                self.absent, a.departure + timedelta(days=1), a.return_date - timedelta(days=1)
            )
        for s in inp.sentence_periods:
            self._mark(self.sentence, s.start, s.end)
        self._mark(pr, inp.pr_date, end)
        before_pr = inp.pr_date - timedelta(days=1)
        for t in inp.temporary_periods:
            self._mark(temp, t.start, min(t.end, before_pr))
        for i in range(size):
            if self.absent[i] or self.sentence[i]:
                pr[i] = 0
                temp[i] = 0
        self._pr = list(accumulate(pr, initial=0))
        self._temp = list(accumulate(temp, initial=0))
        self._absent = list(accumulate(self.absent, initial=0))
        self._sentence = list(accumulate(self.sentence, initial=0))

    def _mark(self, days: bytearray, start: date, end: date) -> None:
        first = max((start - self.base).days, 0)
        last = min((end - self.base).days, len(days) - 1)
        if first <= last:
            days[first : last + 1] = b"\x01" * (last - first + 1)

    def counts(self, start: date, end: date) -> tuple[int, int, int, int]:
        """PR days, temporary days, absent days and sentence days in [start, end]."""
        lo, hi = (start - self.base).days, (end - self.base).days + 1
        return (
            self._pr[hi] - self._pr[lo],
            self._temp[hi] - self._temp[lo],
            self._absent[hi] - self._absent[lo],
            self._sentence[hi] - self._sentence[lo],
        )


def _credit(pr_days: int, temporary_days: int) -> tuple[float, float]:
    temporary_credit = min(float(TEMPORARY_CREDIT_CAP), temporary_days / 2)
    return pr_days + temporary_credit, temporary_credit


def compute_presence(inp: PresenceInput) -> PresenceResult:
    """Credit for the given application date; input must have no ``presence_problems``."""
    start, end = window_for(inp.application_date)
    # The latest window we may need to try ends 5 years after the application date: by then
    # every counted day is a PR day in Canada, and 1,826 >= 1,095.
    horizon = inp.application_date + timedelta(days=366 * WINDOW_YEARS + 1)
    timeline = _Timeline(inp, start, horizon)
    pr_days, temporary_days, absent, sentence = timeline.counts(start, end)
    total, temporary_credit = _credit(pr_days, temporary_days)
    eligible = total >= REQUIRED_DAYS
    return PresenceResult(
        eligible=eligible,
        total_credit=total,
        required=REQUIRED_DAYS,
        pr_days=pr_days,
        temporary_days=temporary_days,
        temporary_credit=temporary_credit,
        days_absent=absent,
        sentence_days=sentence,
        window_start=start,
        window_end=end,
        earliest_eligible_date=None
        if eligible
        else _earliest(timeline, inp.application_date, horizon),
    )


def _earliest(timeline: _Timeline, after: date, horizon: date) -> date | None:
    day = after + timedelta(days=1)
    while day <= horizon:
        start, end = window_for(day)
        pr_days, temporary_days, _, _ = timeline.counts(start, end)
        if _credit(pr_days, temporary_days)[0] >= REQUIRED_DAYS:
            return day
        day += timedelta(days=1)
    return None

"""The physical-presence calculator's models in the eligibility JSON API (the public contract).

Apart from :mod:`.api_models` (the points tools and the questionnaire) only to keep each
module readable; the conventions are the same: field checks here, checks across fields in
:func:`~.physical_presence.presence_problems`.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from northbound.portal.eligibility.api_models import ApiModel, IsoDate
from northbound.portal.eligibility.physical_presence import (
    REQUIRED_DAYS,
    Absence,
    Period,
    PresenceInput,
    PresenceResult,
)

MAX_PERIODS = 200  # periods in each list: more than a lifetime of trips


class PeriodIn(ApiModel):
    start: IsoDate
    end: IsoDate


class AbsenceIn(ApiModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    departure: IsoDate
    return_date: IsoDate = Field(alias="return")


class PresenceRequest(ApiModel):
    """Dates of one citizenship applicant; periods are inclusive."""

    application_date: IsoDate
    pr_date: IsoDate
    temporary_periods: list[PeriodIn] = Field(default_factory=list, max_length=MAX_PERIODS)
    absences: list[AbsenceIn] = Field(default_factory=list, max_length=MAX_PERIODS)
    sentence_periods: list[PeriodIn] = Field(default_factory=list, max_length=MAX_PERIODS)

    def to_input(self) -> PresenceInput:
        return PresenceInput(
            application_date=self.application_date,
            pr_date=self.pr_date,
            temporary_periods=tuple(Period(p.start, p.end) for p in self.temporary_periods),
            absences=tuple(Absence(a.departure, a.return_date) for a in self.absences),
            sentence_periods=tuple(Period(p.start, p.end) for p in self.sentence_periods),
        )


class PresenceResponse(BaseModel):
    eligible: bool
    total_credit: float
    required: int = REQUIRED_DAYS
    pr_days: int
    temporary_days: int
    temporary_credit: float
    days_absent: int
    sentence_days: int
    earliest_eligible_date: date | None
    window_start: date
    window_end: date

    @classmethod
    def of(cls, r: PresenceResult) -> PresenceResponse:
        return cls(
            eligible=r.eligible,
            total_credit=r.total_credit,
            required=r.required,
            pr_days=r.pr_days,
            temporary_days=r.temporary_days,
            temporary_credit=r.temporary_credit,
            days_absent=r.days_absent,
            sentence_days=r.sentence_days,
            earliest_eligible_date=r.earliest_eligible_date,
            window_start=r.window_start,
            window_end=r.window_end,
        )

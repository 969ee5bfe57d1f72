"""Request and response models of the eligibility JSON API (the public contract).

Field-level checks (ranges, enums, score scales) live here so pydantic names the field in
its error; checks across fields are the rule modules' ``*_problems`` functions, which the
API and the HTML forms both use.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from northbound.portal.eligibility.crs import CrsResult
from northbound.portal.eligibility.crs_profile import CrsProfile, Spouse
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.factors import Factor
from northbound.portal.eligibility.fsw import PASS_MARK, Adaptability, FswProfile, FswResult
from northbound.portal.eligibility.language import (
    TEST_NAMES,
    Ability,
    LanguageLevels,
    LanguageTest,
    convert,
    format_bound,
    score_problem,
    score_range,
)
from northbound.portal.eligibility.matcher import PROGRAM_NAMES, Answers, Goal, MatchResult, Status
from northbound.portal.eligibility.programs import TeerGroup

MAX_AGE = 120
MAX_WORK_YEARS = 10

Age = Annotated[int, Field(ge=0, le=MAX_AGE, description="Age in whole years.")]
WorkYears = Annotated[
    int, Field(ge=0, le=MAX_WORK_YEARS, description="Whole years of skilled work in the last 10.")
]


def _iso_date_only(value: object) -> object:
    """Dates come as "YYYY-MM-DD" text: a number is not a date (pydantic would read 0 as
    1970-01-01)."""
    if not isinstance(value, str | date):
        raise PydanticCustomError("date_type", "Input should be a date as YYYY-MM-DD")
    return value


EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


def _plausible(value: date) -> date:
    """Dates the calculations can count with (five years either side stays in range)."""
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError("date_out_of_range", "Enter a date from 1900 to 2199")
    return value


# What the schema says is what is accepted: true/false only (not 0, 1 or "yes"), ISO dates only.
StrictFlag = Annotated[bool, Strict()]
IsoDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_plausible)]


def _score_scales(schema: dict[str, Any]) -> None:
    """Put each test's score scale in the schema (one alternative per test), so a client
    can know before sending that CLB levels run from 1 to 12 and IELTS goes by half bands."""
    alternatives = []
    for test in LanguageTest:
        properties: dict[str, Any] = {"test": {"const": test.value}}
        for ability in Ability:
            low, high, step = score_range(test, ability)
            properties[ability.value] = {"minimum": low, "maximum": high, "multipleOf": step}
        alternatives.append({"properties": properties})
    schema["oneOf"] = alternatives


class ApiModel(BaseModel):
    """A request model: unknown fields are refused, so a typo is an error, not a default."""

    model_config = ConfigDict(extra="forbid")


class LanguageResultIn(ApiModel):
    """One language result: CLB/NCLC levels (1-12) or a test's raw scores.

    ``clb``, ``ielts``, ``celpip`` and ``pte_core`` are English; ``nclc``, ``tef`` and ``tcf``
    are French. IELTS takes half bands from 0 to 9; CELPIP levels 0-12; PTE Core 10-90;
    TEF Canada 0-699; TCF Canada 100-699 for reading and listening, 0-20 for writing and
    speaking.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_score_scales)

    test: LanguageTest
    speaking: float
    listening: float
    reading: float
    writing: float

    @field_validator("speaking", "listening", "reading", "writing")
    @classmethod
    def _on_scale(cls, score: float, info: ValidationInfo) -> float:
        test = info.data.get("test")
        if not isinstance(test, LanguageTest) or info.field_name is None:
            return score  # the test itself is invalid and reported on its own
        ability = Ability(info.field_name)
        problem = score_problem(test, ability, score)
        if problem is not None:
            low, high, _ = score_range(test, ability)
            params = {"low": format_bound(low), "high": format_bound(high)}
            raise PydanticCustomError(
                "language_score",
                f"{TEST_NAMES[test]} {ability.value} score " + problem % params,
                {"msgid": problem, **params},
            )
        return score

    def to_levels(self) -> LanguageLevels:
        return convert(self.test, self.speaking, self.listening, self.reading, self.writing)


class SpouseIn(ApiModel):
    accompanying: StrictFlag = Field(description="Will the spouse or partner come to Canada?")
    canadian_citizen_or_pr: StrictFlag = Field(
        description="Is the spouse or partner a Canadian citizen or permanent resident?"
    )
    education: Education = Education.LESS_THAN_SECONDARY
    canadian_work_years: WorkYears = 0
    language: LanguageResultIn | None = None

    def to_domain(self) -> Spouse:
        return Spouse(
            accompanying=self.accompanying,
            canadian_citizen_or_pr=self.canadian_citizen_or_pr,
            education=self.education,
            canadian_work_years=self.canadian_work_years,
            language=None if self.language is None else self.language.to_levels(),
        )


class CrsRequest(ApiModel):
    """A profile for the Comprehensive Ranking System (rules since 25 March 2025)."""

    age: Age
    education: Education
    canadian_education: CanadianEducation = CanadianEducation.NONE
    first_language: LanguageResultIn
    second_language: LanguageResultIn | None = None
    canadian_work_years: WorkYears = 0
    foreign_work_years: WorkYears = 0
    certificate_of_qualification: StrictFlag = False
    provincial_nomination: StrictFlag = False
    sibling_in_canada: StrictFlag = False
    spouse: SpouseIn | None = Field(
        default=None,
        description="Counts only if accompanying and not a Canadian citizen or PR.",
    )

    def to_profile(self) -> CrsProfile:
        return CrsProfile(
            age=self.age,
            education=self.education,
            canadian_education=self.canadian_education,
            first_language=self.first_language.to_levels(),
            second_language=None
            if self.second_language is None
            else self.second_language.to_levels(),
            canadian_work_years=self.canadian_work_years,
            foreign_work_years=self.foreign_work_years,
            certificate_of_qualification=self.certificate_of_qualification,
            provincial_nomination=self.provincial_nomination,
            sibling_in_canada=self.sibling_in_canada,
            spouse=None if self.spouse is None else self.spouse.to_domain(),
        )


class FactorOut(BaseModel):
    """One line of the explanation. Points of a group's factors add up to the group total."""

    group: str
    factor: str
    label: str
    value: str
    points: int
    cap: int

    @classmethod
    def of(cls, f: Factor) -> FactorOut:
        return cls(
            group=f.group, factor=f.key, label=f.label, value=f.value, points=f.points, cap=f.cap
        )


class CrsResponse(BaseModel):
    total: int = Field(description="Out of 1,200.")
    core: int
    spouse: int
    skill_transferability: int
    additional: int
    factors: list[FactorOut]

    @classmethod
    def of(cls, r: CrsResult) -> CrsResponse:
        return cls(
            total=r.total,
            core=r.core,
            spouse=r.spouse,
            skill_transferability=r.skill_transferability,
            additional=r.additional,
            factors=[FactorOut.of(f) for f in r.factors],
        )


class AdaptabilityIn(ApiModel):
    """FSW adaptability; arranged employment also counts here (5) on its own."""

    spouse_language_clb4: StrictFlag = Field(
        default=False, description="Spouse or partner has CLB/NCLC 4+ in all four abilities."
    )
    own_study_in_canada: StrictFlag = Field(
        default=False, description="2+ years full-time in Canada."
    )
    spouse_study_in_canada: StrictFlag = False
    own_work_in_canada: StrictFlag = Field(
        default=False, description="1+ year skilled work in Canada."
    )
    spouse_work_in_canada: StrictFlag = False
    relative_in_canada: StrictFlag = Field(
        default=False, description="A relative 18 or older who is a citizen or PR, in Canada."
    )


class FswRequest(ApiModel):
    """Federal Skilled Worker 67-point grid."""

    age: Age
    education: Education
    first_language: LanguageResultIn
    second_language: LanguageResultIn | None = None
    skilled_work_years: WorkYears = Field(
        description="Continuous full-time (or equal part-time) NOC TEER 0-3 work, last 10 years."
    )
    arranged_employment: StrictFlag = False
    adaptability: AdaptabilityIn = Field(default_factory=AdaptabilityIn)

    def to_profile(self) -> FswProfile:
        return FswProfile(
            age=self.age,
            education=self.education,
            first_language=self.first_language.to_levels(),
            second_language=None
            if self.second_language is None
            else self.second_language.to_levels(),
            skilled_work_years=self.skilled_work_years,
            arranged_employment=self.arranged_employment,
            adaptability=Adaptability(**self.adaptability.model_dump()),
        )


class FswResponse(BaseModel):
    points: int
    pass_mark: int = PASS_MARK
    meets_minimum_requirements: bool
    eligible: bool
    factors: list[FactorOut]
    unmet_requirements: list[str]

    @classmethod
    def of(cls, r: FswResult) -> FswResponse:
        return cls(
            points=r.points,
            pass_mark=r.pass_mark,
            meets_minimum_requirements=r.meets_minimum_requirements,
            eligible=r.eligible,
            factors=[FactorOut.of(f) for f in r.factors],
            unmet_requirements=[m.render() for m in r.unmet_requirements],
        )


class ProgramsRequest(ApiModel):
    """Answers of the "find out if you can immigrate" questionnaire."""

    goal: Goal
    status: Status
    profile: CrsRequest
    canadian_work_years_last_3: Annotated[int, Field(ge=0, le=3)] = 0
    canadian_work_teer: TeerGroup | None = None
    trade_work_years_last_5: Annotated[int, Field(ge=0, le=5)] = 0
    job_offer: StrictFlag = False
    letter_of_acceptance: StrictFlag = False
    family_citizen_or_pr: StrictFlag = Field(
        default=False,
        description="A spouse, partner, parent, child or grandchild is a citizen or PR.",
    )
    days_in_canada_last_5_years: Annotated[int, Field(ge=0, le=1827)] | None = None

    def to_answers(self) -> Answers:
        return Answers(
            goal=self.goal,
            status=self.status,
            profile=self.profile.to_profile(),
            canadian_work_years_last_3=self.canadian_work_years_last_3,
            canadian_work_teer=self.canadian_work_teer,
            trade_work_years_last_5=self.trade_work_years_last_5,
            job_offer=self.job_offer,
            letter_of_acceptance=self.letter_of_acceptance,
            family_citizen_or_pr=self.family_citizen_or_pr,
            days_in_canada_last_5_years=self.days_in_canada_last_5_years,
        )


class ReasonOut(BaseModel):
    text: str
    met: bool | None


class ProgramOut(BaseModel):
    program: str
    name: str
    may_qualify: bool
    crs_score: int | None
    reasons: list[ReasonOut]


class ProgramsResponse(BaseModel):
    crs_score: int
    fsw_points: int
    programs: list[ProgramOut]

    @classmethod
    def of(cls, r: MatchResult) -> ProgramsResponse:
        return cls(
            crs_score=r.crs.total,
            fsw_points=r.fsw.points,
            programs=[
                ProgramOut(
                    program=m.program.value,
                    name=PROGRAM_NAMES[m.program],
                    may_qualify=m.may_qualify,
                    crs_score=m.crs_score,
                    reasons=[ReasonOut(text=x.message.render(), met=x.met) for x in m.reasons],
                )
                for m in r.programs
            ],
        )

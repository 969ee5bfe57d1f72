"""What the eligibility forms ask: each field's name, kind, label, hint and options.

Labels are English message ids translated in the templates. Field names match the API's
JSON paths joined by ``__`` (see ``forms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import LanguageTest
from northbound.portal.eligibility.matcher import Goal, Status
from northbound.portal.eligibility.programs import TeerGroup
from northbound.portal.eligibility.text import N_

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "number"  # number | score | select | checkbox | date
    choices: Choices = ()
    hint: str = ""
    required: bool = True


@dataclass(frozen=True, slots=True)
class Group:
    """A fieldset: a legend over related fields (a language result, a period)."""

    name: str
    legend: str
    fields: tuple[Field, ...]
    hint: str = ""


Item = Field | Group

EDUCATION_LABELS: Final[dict[str, str]] = {
    Education.LESS_THAN_SECONDARY: N_("Less than secondary school (high school)"),
    Education.SECONDARY: N_("Secondary diploma (high school graduation)"),
    Education.ONE_YEAR: N_("One-year program at a university, college or trade school"),
    Education.TWO_YEAR: N_("Two-year program at a university, college or trade school"),
    Education.BACHELORS_OR_THREE_YEAR: N_("Bachelor's degree or a program of three years or more"),
    Education.TWO_OR_MORE: N_("Two or more credentials, one of them for a program of 3+ years"),
    Education.MASTERS_OR_PROFESSIONAL: N_(
        "Master's degree or entry-to-practice professional degree"
    ),
    Education.DOCTORAL: N_("Doctoral degree (PhD)"),
}
CANADIAN_EDUCATION_LABELS: Final[dict[str, str]] = {
    CanadianEducation.NONE: N_("None"),
    CanadianEducation.ONE_OR_TWO_YEAR: N_("One- or two-year diploma or certificate"),
    CanadianEducation.THREE_YEAR_OR_MORE: N_(
        "Three years or longer, or a master's, professional or doctoral degree"
    ),
}
TEST_LABELS: Final[dict[str, str]] = {
    LanguageTest.CLB: N_("CLB levels (English)"),
    LanguageTest.IELTS: N_("IELTS General Training (English)"),
    LanguageTest.CELPIP: N_("CELPIP-General (English)"),
    LanguageTest.PTE_CORE: N_("PTE Core (English)"),
    LanguageTest.NCLC: N_("NCLC levels (French)"),
    LanguageTest.TEF: N_("TEF Canada (French)"),
    LanguageTest.TCF: N_("TCF Canada (French)"),
}
MARITAL_LABELS: Final[dict[str, str]] = {
    "never_married": N_("Never married or single"),
    "married": N_("Married"),
    "common_law": N_("Common-law"),
    "separated_or_divorced": N_("Separated or divorced"),
    "widowed": N_("Widowed"),
    "annulled": N_("Annulled marriage"),
}
GOAL_LABELS: Final[dict[str, str]] = {
    Goal.VISIT: N_("Visit"),
    Goal.STUDY: N_("Study"),
    Goal.WORK: N_("Work"),
    Goal.IMMIGRATE: N_("Live in Canada permanently"),
    Goal.CITIZENSHIP: N_("Become a Canadian citizen"),
}
STATUS_LABELS: Final[dict[str, str]] = {
    Status.NONE: N_("No status in Canada"),
    Status.TEMPORARY: N_("Visitor, student or worker in Canada"),
    Status.PERMANENT_RESIDENT: N_("Permanent resident"),
    Status.CITIZEN: N_("Canadian citizen"),
}
TEER_LABELS: Final[dict[str, str]] = {
    TeerGroup.TEER_0_1: N_("NOC TEER 0 or 1 (management or university-level jobs)"),
    TeerGroup.TEER_2_3: N_("NOC TEER 2 or 3 (college, apprenticeship or trade jobs)"),
}
VALUE_LABELS: Final[dict[str, str]] = {
    **EDUCATION_LABELS,
    **CANADIAN_EDUCATION_LABELS,
    "yes": N_("Yes"),
    "no": N_("No"),
    "none": N_("None"),
}
"""Labels for the coded values a score explanation shows."""


def _choices(labels: dict[str, str]) -> Choices:
    return tuple((str(code), label) for code, label in labels.items())


ABILITY_LABELS: Final = (
    ("speaking", N_("Speaking")),
    ("listening", N_("Listening")),
    ("reading", N_("Reading")),
    ("writing", N_("Writing")),
)
SCORE_HINT: Final = N_(
    "Enter levels 1 to 12, or your test scores: IELTS 0 to 9 in half bands, CELPIP 0 to 12, "
    "PTE Core 10 to 90, TEF Canada 0 to 699, TCF Canada 100 to 699 (writing and speaking 0 "
    "to 20)."
)


def language_group(prefix: str, legend: str, required: bool) -> Group:
    test = Field(
        f"{prefix}__test", N_("Test or levels"), "select", _choices(TEST_LABELS), required=required
    )
    scores = tuple(
        Field(f"{prefix}__{a}", label, "score", required=required) for a, label in ABILITY_LABELS
    )
    return Group(prefix, legend, (test, *scores), SCORE_HINT)


AGE = Field("age", N_("Age"), hint=N_("Your age in whole years."))
EDUCATION = Field(
    "education", N_("Highest level of education"), "select", _choices(EDUCATION_LABELS)
)
CANADIAN_EDUCATION = Field(
    "canadian_education",
    N_("Post-secondary credential from Canada"),
    "select",
    _choices(CANADIAN_EDUCATION_LABELS),
)
MARITAL = Field("marital_status", N_("Marital status"), "select", _choices(MARITAL_LABELS))
FIRST_LANGUAGE = language_group("first_language", N_("First official language"), True)
SECOND_LANGUAGE = language_group(
    "second_language", N_("Second official language (optional)"), False
)
CANADIAN_WORK = Field(
    "canadian_work_years",
    N_("Years of skilled work in Canada in the last 10 years"),
    hint=N_("NOC TEER 0, 1, 2 or 3; whole years, 0 to 10."),
)
FOREIGN_WORK = Field(
    "foreign_work_years",
    N_("Years of skilled work outside Canada in the last 10 years"),
    hint=N_("Whole years, 0 to 10."),
)
CERTIFICATE = Field(
    "certificate_of_qualification",
    N_("I have a certificate of qualification in a trade from a province or territory"),
    "checkbox",
    required=False,
)
NOMINATION = Field(
    "provincial_nomination",
    N_("I have a provincial or territorial nomination"),
    "checkbox",
    required=False,
)
SIBLING = Field(
    "sibling_in_canada",
    N_(
        "I or my spouse have a brother or sister in Canada who is a citizen or "
        "permanent resident, 18 or older"
    ),
    "checkbox",
    required=False,
)
SPOUSE = Group(
    "spouse",
    N_("Your spouse or common-law partner"),
    (
        Field(
            "spouse__accompanying",
            N_("My spouse or partner will come with me to Canada"),
            "checkbox",
            required=False,
        ),
        Field(
            "spouse__canadian_citizen_or_pr",
            N_("My spouse or partner is a Canadian citizen or permanent resident"),
            "checkbox",
            required=False,
        ),
        Field(
            "spouse__education",
            N_("Spouse's highest level of education"),
            "select",
            _choices(EDUCATION_LABELS),
            required=False,
        ),
        Field(
            "spouse__canadian_work_years",
            N_("Spouse's years of skilled work in Canada"),
            required=False,
        ),
    ),
    N_("Only if you are married or in a common-law relationship."),
)
SPOUSE_LANGUAGE = language_group(
    "spouse__language", N_("Spouse's official language test (optional)"), False
)

CRS_FORM: Final[tuple[Item, ...]] = (
    MARITAL,
    AGE,
    EDUCATION,
    CANADIAN_EDUCATION,
    FIRST_LANGUAGE,
    SECOND_LANGUAGE,
    CANADIAN_WORK,
    FOREIGN_WORK,
    CERTIFICATE,
    NOMINATION,
    SIBLING,
    SPOUSE,
    SPOUSE_LANGUAGE,
)

FSW_FORM: Final[tuple[Item, ...]] = (
    AGE,
    EDUCATION,
    FIRST_LANGUAGE,
    SECOND_LANGUAGE,
    Field(
        "skilled_work_years",
        N_("Years of continuous skilled work in the last 10 years"),
        hint=N_("Full-time (or the same amount part-time) in NOC TEER 0, 1, 2 or 3."),
    ),
    Field(
        "arranged_employment",
        N_("I have arranged employment (a valid job offer) in Canada"),
        "checkbox",
        required=False,
    ),
    Group(
        "adaptability",
        N_("Adaptability"),
        (
            Field(
                "adaptability__spouse_language_clb4",
                N_("My spouse or partner has CLB/NCLC 4 or more in all four abilities"),
                "checkbox",
                required=False,
            ),
            Field(
                "adaptability__own_study_in_canada",
                N_("I studied full time in Canada for at least 2 years"),
                "checkbox",
                required=False,
            ),
            Field(
                "adaptability__spouse_study_in_canada",
                N_("My spouse or partner studied full time in Canada for at least 2 years"),
                "checkbox",
                required=False,
            ),
            Field(
                "adaptability__own_work_in_canada",
                N_("I worked full time in a skilled job in Canada for at least 1 year"),
                "checkbox",
                required=False,
            ),
            Field(
                "adaptability__spouse_work_in_canada",
                N_("My spouse or partner worked full time in Canada for at least 1 year"),
                "checkbox",
                required=False,
            ),
            Field(
                "adaptability__relative_in_canada",
                N_(
                    "I or my spouse have a relative in Canada, 18 or older, who is a citizen or "
                    "permanent resident"
                ),
                "checkbox",
                required=False,
            ),
        ),
        N_("Tick every statement that is true (at most 10 points count)."),
    ),
)

GOAL = Field("goal", N_("What would you like to do in Canada?"), "select", _choices(GOAL_LABELS))
STATUS = Field(
    "status", N_("What is your status in Canada today?"), "select", _choices(STATUS_LABELS)
)
CANADIAN_WORK_RECENT = Field(
    "canadian_work_years_last_3",
    N_("Of that, years of skilled work in Canada in the last 3 years"),
    hint=N_("Whole years, 0 to 3."),
)
TEER = Field(
    "canadian_work_teer",
    N_("Kind of job in Canada"),
    "select",
    _choices(TEER_LABELS),
    required=False,
)
TRADE_WORK = Field(
    "trade_work_years_last_5",
    N_("Years of work in a skilled trade in the last 5 years"),
    hint=N_("Whole years, 0 to 5."),
)
JOB_OFFER = Field(
    "job_offer", N_("I have a job offer from a Canadian employer"), "checkbox", required=False
)
FAMILY = Field(
    "family_citizen_or_pr",
    N_(
        "My spouse, partner, parent, child or grandchild is a Canadian citizen or "
        "permanent resident"
    ),
    "checkbox",
    required=False,
)
ACCEPTANCE = Field(
    "letter_of_acceptance",
    N_("I have a letter of acceptance from a Canadian school"),
    "checkbox",
    required=False,
)
DAYS_IN_CANADA = Field(
    "days_in_canada_last_5_years",
    N_("Permanent residents: days in Canada in the last 5 years"),
    hint=N_("Leave blank if you are not a permanent resident."),
    required=False,
)

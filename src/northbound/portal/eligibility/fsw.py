"""Federal Skilled Worker selection grid (IRPR s.78-83): 100 points, pass mark 67."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from northbound.portal.eligibility.crs_tables import Education
from northbound.portal.eligibility.factors import Factor, limit_factor
from northbound.portal.eligibility.language import FIRST_LANGUAGE_LABELS, Ability, LanguageLevels
from northbound.portal.eligibility.text import N_, Message

PASS_MARK: Final = 67
MIN_SKILLED_WORK_YEARS: Final = 1
MIN_FIRST_LANGUAGE_CLB: Final = 7

EDUCATION_POINTS: Final[dict[Education, int]] = {
    Education.LESS_THAN_SECONDARY: 0,
    Education.SECONDARY: 5,
    Education.ONE_YEAR: 15,
    Education.TWO_YEAR: 19,
    Education.BACHELORS_OR_THREE_YEAR: 21,
    Education.TWO_OR_MORE: 22,
    Education.MASTERS_OR_PROFESSIONAL: 23,
    Education.DOCTORAL: 25,
}
CAPS: Final[dict[str, int]] = {
    "first_language": 24,
    "second_language": 4,
    "education": 25,
    "work": 15,
    "age": 12,
    "arranged_employment": 10,
    "adaptability": 10,
}
ADAPTABILITY_POINTS: Final[dict[str, int]] = {
    "spouse_language": 5,
    "own_study_in_canada": 5,
    "spouse_study_in_canada": 5,
    "own_work_in_canada": 10,
    "spouse_work_in_canada": 5,
    "arranged_employment": 5,
    "relative_in_canada": 5,
}
_ADAPTABILITY_LABELS: Final[dict[str, str]] = {
    "spouse_language": N_("Adaptability: spouse's language (CLB 4 or more in all four abilities)"),
    "own_study_in_canada": N_("Adaptability: your 2 years of full-time study in Canada"),
    "spouse_study_in_canada": N_("Adaptability: your spouse's study in Canada"),
    "own_work_in_canada": N_("Adaptability: your 1 year of skilled work in Canada"),
    "spouse_work_in_canada": N_("Adaptability: your spouse's work in Canada"),
    "arranged_employment": N_("Adaptability: arranged employment"),
    "relative_in_canada": N_("Adaptability: relative in Canada (18 or older, citizen or PR)"),
}


@dataclass(frozen=True, slots=True)
class Adaptability:
    spouse_language_clb4: bool = False
    own_study_in_canada: bool = False
    spouse_study_in_canada: bool = False
    own_work_in_canada: bool = False
    spouse_work_in_canada: bool = False
    relative_in_canada: bool = False


@dataclass(frozen=True, slots=True)
class FswProfile:
    """``skilled_work_years``: continuous full-time (or equal) TEER 0-3 work, last 10 years."""

    age: int
    education: Education
    first_language: LanguageLevels
    second_language: LanguageLevels | None
    skilled_work_years: int
    arranged_employment: bool
    adaptability: Adaptability


@dataclass(frozen=True, slots=True)
class FswResult:
    points: int
    pass_mark: int
    meets_minimum_requirements: bool
    eligible: bool
    factors: tuple[Factor, ...]
    unmet_requirements: tuple[Message, ...]


def language_ability_points(clb: int) -> int:
    """Per ability of the first official language; below CLB 7 earns nothing (and fails)."""
    return 6 if clb >= 9 else 5 if clb == 8 else 4 if clb == 7 else 0


def second_language_points(levels: LanguageLevels | None) -> int:
    return 4 if levels is not None and levels.all_at_least(5) else 0


def work_points(years: int) -> int:
    if years >= 6:
        return 15
    return {0: 0, 1: 9, 2: 11, 3: 11, 4: 13, 5: 13}[years]


def age_points(age: int) -> int:
    """12 from 18 to 35, one point less per year after that, none under 18 or from 47."""
    if age < 18 or age >= 47:
        return 0
    return 12 if age <= 35 else 47 - age


def adaptability_earned(a: Adaptability, arranged_employment: bool) -> dict[str, int]:
    flags = {
        "spouse_language": a.spouse_language_clb4,
        "own_study_in_canada": a.own_study_in_canada,
        "spouse_study_in_canada": a.spouse_study_in_canada,
        "own_work_in_canada": a.own_work_in_canada,
        "spouse_work_in_canada": a.spouse_work_in_canada,
        "arranged_employment": arranged_employment,
        "relative_in_canada": a.relative_in_canada,
    }
    return {key: ADAPTABILITY_POINTS[key] if on else 0 for key, on in flags.items()}


def unmet_minimums(p: FswProfile) -> tuple[Message, ...]:
    unmet: list[Message] = []
    if p.skilled_work_years < MIN_SKILLED_WORK_YEARS:
        unmet.append(
            Message(
                N_(
                    "You need at least 1 year (1,560 hours) of continuous skilled "
                    "work (NOC TEER 0, 1, 2 or 3) in the last 10 years."
                )
            )
        )
    if not p.first_language.all_at_least(MIN_FIRST_LANGUAGE_CLB):
        unmet.append(
            Message(
                N_(
                    "You need CLB/NCLC 7 or more in all four abilities of your first "
                    "official language; your lowest is %(lowest)s."
                ),
                {"lowest": p.first_language.lowest},
            )
        )
    return tuple(unmet)


def compute_fsw(p: FswProfile) -> FswResult:
    g = "fsw"
    factors: list[Factor] = []
    for ability in Ability:
        level = p.first_language.level(ability)
        factors.append(
            Factor(
                g,
                f"first_language_{ability.value}",
                FIRST_LANGUAGE_LABELS[ability],
                str(level),
                language_ability_points(level),
                CAPS["first_language"] // 4,
            )
        )
    second_value = "none" if p.second_language is None else str(p.second_language.lowest)
    factors += [
        Factor(
            g,
            "second_language",
            N_("Second official language (CLB 5 or more in all four)"),
            second_value,
            second_language_points(p.second_language),
            CAPS["second_language"],
        ),
        Factor(
            g,
            "education",
            N_("Education"),
            p.education.value,
            EDUCATION_POINTS[p.education],
            CAPS["education"],
        ),
        Factor(
            g,
            "work",
            N_("Skilled work experience (years)"),
            str(p.skilled_work_years),
            work_points(p.skilled_work_years),
            CAPS["work"],
        ),
        Factor(g, "age", N_("Age"), str(p.age), age_points(p.age), CAPS["age"]),
        Factor(
            g,
            "arranged_employment",
            N_("Arranged employment in Canada"),
            "yes" if p.arranged_employment else "no",
            CAPS["arranged_employment"] if p.arranged_employment else 0,
            CAPS["arranged_employment"],
        ),
    ]
    earned = adaptability_earned(p.adaptability, p.arranged_employment)
    adaptability = [
        Factor(
            "fsw_adaptability",
            key,
            _ADAPTABILITY_LABELS[key],
            "yes" if points else "no",
            points,
            ADAPTABILITY_POINTS[key],
        )
        for key, points in earned.items()
    ]
    limit = limit_factor(
        "fsw_adaptability",
        N_("Adaptability is limited to 10 points"),
        sum(earned.values()),
        CAPS["adaptability"],
    )
    if limit is not None:
        adaptability.append(limit)
    factors += adaptability
    points = sum(f.points for f in factors)
    unmet = unmet_minimums(p)
    return FswResult(
        points=points,
        pass_mark=PASS_MARK,
        meets_minimum_requirements=not unmet,
        eligible=not unmet and points >= PASS_MARK,
        factors=tuple(factors),
        unmet_requirements=unmet,
    )

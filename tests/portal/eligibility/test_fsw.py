"""Federal Skilled Worker grid, row by row of other-rules.md, and worked applicants."""

from __future__ import annotations

from typing import Any

import pytest

from northbound.portal.eligibility.crs_tables import Education
from northbound.portal.eligibility.fsw import (
    Adaptability,
    FswProfile,
    FswResult,
    age_points,
    compute_fsw,
    language_ability_points,
    work_points,
)
from tests.portal.eligibility.builders import FRENCH, levels

E = Education


def fsw(**changes: Any) -> FswResult:
    base: dict[str, Any] = dict(
        age=30,
        education=E.SECONDARY,
        first_language=levels(7),
        second_language=None,
        skilled_work_years=1,
        arranged_employment=False,
        adaptability=Adaptability(),
    )
    base.update(changes)
    return compute_fsw(FswProfile(**base))


def factor(result: FswResult, key: str) -> int:
    return sum(f.points for f in result.factors if f.key == key)


@pytest.mark.parametrize(
    ("clb", "expected"), [(12, 6), (10, 6), (9, 6), (8, 5), (7, 4), (6, 0), (3, 0)]
)
def test_first_language_per_ability(clb: int, expected: int) -> None:
    assert language_ability_points(clb) == expected


@pytest.mark.parametrize(
    ("second", "expected"),
    [(levels(5, language=FRENCH), 4), (levels(9, 9, 9, 4, language=FRENCH), 0), (None, 0)],
)
def test_second_language(second: Any, expected: int) -> None:
    assert factor(fsw(second_language=second), "second_language") == expected


EDUCATION_ROWS = [
    (E.LESS_THAN_SECONDARY, 0),
    (E.SECONDARY, 5),
    (E.ONE_YEAR, 15),
    (E.TWO_YEAR, 19),
    (E.BACHELORS_OR_THREE_YEAR, 21),
    (E.TWO_OR_MORE, 22),
    (E.MASTERS_OR_PROFESSIONAL, 23),
    (E.DOCTORAL, 25),
]


@pytest.mark.parametrize(("education", "expected"), EDUCATION_ROWS)
def test_education(education: Education, expected: int) -> None:
    assert factor(fsw(education=education), "education") == expected


@pytest.mark.parametrize(
    ("years", "expected"), [(0, 0), (1, 9), (2, 11), (3, 11), (4, 13), (5, 13), (6, 15), (10, 15)]
)
def test_work_experience(years: int, expected: int) -> None:
    assert work_points(years) == expected


AGE_ROWS = [
    (17, 0),
    (18, 12),
    (30, 12),
    (35, 12),
    (36, 11),
    (37, 10),
    (38, 9),
    (39, 8),
    (40, 7),
    (41, 6),
    (42, 5),
    (43, 4),
    (44, 3),
    (45, 2),
    (46, 1),
    (47, 0),
    (90, 0),
]


@pytest.mark.parametrize(("age", "expected"), AGE_ROWS)
def test_age(age: int, expected: int) -> None:
    assert age_points(age) == expected


@pytest.mark.parametrize(
    ("flags", "arranged", "expected"),
    [
        ({"spouse_language_clb4": True}, False, 5),
        ({"own_study_in_canada": True}, False, 5),
        ({"spouse_study_in_canada": True}, False, 5),
        ({"own_work_in_canada": True}, False, 10),
        ({"spouse_work_in_canada": True}, False, 5),
        ({}, True, 5),
        ({"relative_in_canada": True}, False, 5),
        (
            {"relative_in_canada": True, "spouse_language_clb4": True, "own_work_in_canada": True},
            True,
            10,
        ),
    ],
)
def test_adaptability_is_capped_at_10(
    flags: dict[str, bool], arranged: bool, expected: int
) -> None:
    result = fsw(adaptability=Adaptability(**flags), arranged_employment=arranged)
    assert sum(f.points for f in result.factors if f.group == "fsw_adaptability") == expected


def test_worked_applicant_passes() -> None:
    # CLB 9/9/8/7 = 6 + 6 + 5 + 4 = 21; no second language; master's 23; 3 years 11;
    # age 32 = 12; arranged employment 10 (+5 adaptability); relative 5 -> adaptability 10.
    # 21 + 23 + 11 + 12 + 10 + 10 = 87.
    result = fsw(
        first_language=levels(9, 9, 8, 7),
        education=E.MASTERS_OR_PROFESSIONAL,
        skilled_work_years=3,
        age=32,
        arranged_employment=True,
        adaptability=Adaptability(relative_in_canada=True),
    )
    assert (result.points, result.meets_minimum_requirements, result.eligible) == (87, True, True)


def test_just_below_pass_mark() -> None:
    # CLB 7 x 4 = 16; French NCLC 5 = 4; bachelor's 21; 2 years 11; age 38 = 9;
    # own study 5 -> 66, one short of 67.
    result = fsw(
        first_language=levels(7),
        second_language=levels(5, language=FRENCH),
        education=E.BACHELORS_OR_THREE_YEAR,
        skilled_work_years=2,
        age=38,
        adaptability=Adaptability(own_study_in_canada=True),
    )
    assert result.points == 66
    assert result.meets_minimum_requirements and not result.eligible


def test_minimums_fail_despite_points() -> None:
    # Plenty of points but one ability at CLB 6 and no qualifying work year.
    result = fsw(
        first_language=levels(10, 10, 10, 6),
        education=E.DOCTORAL,
        age=25,
        skilled_work_years=0,
        arranged_employment=True,
        adaptability=Adaptability(own_work_in_canada=True),
    )
    assert not result.meets_minimum_requirements and not result.eligible
    assert len(result.unmet_requirements) == 2

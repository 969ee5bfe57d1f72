"""Every row of every CRS table, transcribed from the reference (crs-tables.md), checked
against the calculator by varying one factor at a time from an otherwise empty profile."""

from __future__ import annotations

import pytest

from northbound.portal.eligibility.crs import compute_crs
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import LanguageLevels
from tests.portal.eligibility.builders import (
    ENGLISH,
    FRENCH,
    counting_spouse,
    levels,
    points,
    profile,
)

E = Education
SPOUSE_CASES = [pytest.param(True, id="with-spouse"), pytest.param(False, id="without-spouse")]


def _spouse(with_spouse: bool) -> dict[str, object]:
    return {"spouse": counting_spouse()} if with_spouse else {}


# A1. Age: (age, with spouse, without spouse)
AGE_ROWS = [
    (17, 0, 0),
    (18, 90, 99),
    (19, 95, 105),
    *[(a, 100, 110) for a in range(20, 30)],
    (30, 95, 105),
    (31, 90, 99),
    (32, 85, 94),
    (33, 80, 88),
    (34, 75, 83),
    (35, 70, 77),
    (36, 65, 72),
    (37, 60, 66),
    (38, 55, 61),
    (39, 50, 55),
    (40, 45, 50),
    (41, 35, 39),
    (42, 25, 28),
    (43, 15, 17),
    (44, 5, 6),
    (45, 0, 0),
    (0, 0, 0),
    (60, 0, 0),
    (120, 0, 0),
]


@pytest.mark.parametrize(("age", "with_pts", "without_pts"), AGE_ROWS)
def test_age(age: int, with_pts: int, without_pts: int) -> None:
    assert points(compute_crs(profile(age=age, spouse=counting_spouse())), "age") == with_pts
    assert points(compute_crs(profile(age=age)), "age") == without_pts


EDUCATION_ROWS = [
    (E.LESS_THAN_SECONDARY, 0, 0),
    (E.SECONDARY, 28, 30),
    (E.ONE_YEAR, 84, 90),
    (E.TWO_YEAR, 91, 98),
    (E.BACHELORS_OR_THREE_YEAR, 112, 120),
    (E.TWO_OR_MORE, 119, 128),
    (E.MASTERS_OR_PROFESSIONAL, 126, 135),
    (E.DOCTORAL, 140, 150),
]


@pytest.mark.parametrize(("education", "with_pts", "without_pts"), EDUCATION_ROWS)
def test_education(education: Education, with_pts: int, without_pts: int) -> None:
    assert (
        points(compute_crs(profile(education=education, spouse=counting_spouse())), "education")
        == with_pts
    )
    assert points(compute_crs(profile(education=education)), "education") == without_pts


# A3. First official language per ability: (CLB, with, without)
FIRST_LANGUAGE_ROWS = [
    (3, 0, 0),
    (4, 6, 6),
    (5, 6, 6),
    (6, 8, 9),
    (7, 16, 17),
    (8, 22, 23),
    (9, 29, 31),
    (10, 32, 34),
    (11, 32, 34),
    (12, 32, 34),
]


@pytest.mark.parametrize(("clb", "with_pts", "without_pts"), FIRST_LANGUAGE_ROWS)
def test_first_language_each_ability(clb: int, with_pts: int, without_pts: int) -> None:
    for ability in ("speaking", "listening", "reading", "writing"):
        # Only this ability is at ``clb``; the others stay below CLB 4 and earn nothing.
        lv = LanguageLevels(
            ENGLISH, **{**{"speaking": 3, "listening": 3, "reading": 3, "writing": 3}, ability: clb}
        )
        key = f"first_language_{ability}"
        assert (
            points(compute_crs(profile(first_language=lv, spouse=counting_spouse())), key)
            == with_pts
        )
        assert points(compute_crs(profile(first_language=lv)), key) == without_pts


# A4. Second official language, per ability (same both columns), summed then capped 22 / 24.
SECOND_LANGUAGE_ROWS = [(3, 0), (4, 0), (5, 1), (6, 1), (7, 3), (8, 3), (9, 6), (12, 6)]


@pytest.mark.parametrize(("clb", "per_ability"), SECOND_LANGUAGE_ROWS)
@pytest.mark.parametrize("with_spouse", SPOUSE_CASES)
def test_second_language(clb: int, per_ability: int, with_spouse: bool) -> None:
    one = levels(clb, 3, 3, 3, language=FRENCH)
    assert (
        points(compute_crs(profile(second_language=one, **_spouse(with_spouse))), "second_language")
        == per_ability
    )
    four = levels(clb, language=FRENCH)
    cap = 22 if with_spouse else 24
    assert points(
        compute_crs(profile(second_language=four, **_spouse(with_spouse))), "second_language"
    ) == min(cap, 4 * per_ability)


CANADIAN_WORK_ROWS = [
    (0, 0, 0),
    (1, 35, 40),
    (2, 46, 53),
    (3, 56, 64),
    (4, 63, 72),
    (5, 70, 80),
    (10, 70, 80),
]


@pytest.mark.parametrize(("years", "with_pts", "without_pts"), CANADIAN_WORK_ROWS)
def test_canadian_work(years: int, with_pts: int, without_pts: int) -> None:
    assert (
        points(
            compute_crs(profile(canadian_work_years=years, spouse=counting_spouse())),
            "canadian_work",
        )
        == with_pts
    )
    assert points(compute_crs(profile(canadian_work_years=years)), "canadian_work") == without_pts


SPOUSE_EDUCATION_ROWS = [
    (E.LESS_THAN_SECONDARY, 0),
    (E.SECONDARY, 2),
    (E.ONE_YEAR, 6),
    (E.TWO_YEAR, 7),
    (E.BACHELORS_OR_THREE_YEAR, 8),
    (E.TWO_OR_MORE, 9),
    (E.MASTERS_OR_PROFESSIONAL, 10),
    (E.DOCTORAL, 10),
]


@pytest.mark.parametrize(("education", "expected"), SPOUSE_EDUCATION_ROWS)
def test_spouse_education(education: Education, expected: int) -> None:
    result = compute_crs(profile(spouse=counting_spouse(education=education)))
    assert points(result, "spouse_education") == expected == result.spouse


SPOUSE_LANGUAGE_ROWS = [(3, 0), (4, 0), (5, 1), (6, 1), (7, 3), (8, 3), (9, 5), (10, 5)]


@pytest.mark.parametrize(("clb", "expected"), SPOUSE_LANGUAGE_ROWS)
def test_spouse_language(clb: int, expected: int) -> None:
    result = compute_crs(profile(spouse=counting_spouse(language=levels(clb))))
    for ability in ("speaking", "listening", "reading", "writing"):
        assert points(result, f"spouse_language_{ability}") == expected
    assert result.spouse == 4 * expected


SPOUSE_WORK_ROWS = [(0, 0), (1, 5), (2, 7), (3, 8), (4, 9), (5, 10), (10, 10)]


@pytest.mark.parametrize(("years", "expected"), SPOUSE_WORK_ROWS)
def test_spouse_canadian_work(years: int, expected: int) -> None:
    result = compute_crs(profile(spouse=counting_spouse(canadian_work_years=years)))
    assert points(result, "spouse_canadian_work") == expected


@pytest.mark.parametrize(
    ("accompanying", "citizen_or_pr", "counts"),
    [(True, False, True), (True, True, False), (False, False, False), (False, True, False)],
)
def test_spouse_counts_only_if_accompanying_and_not_canadian(
    accompanying: bool, citizen_or_pr: bool, counts: bool
) -> None:
    spouse = counting_spouse(
        accompanying=accompanying, canadian_citizen_or_pr=citizen_or_pr, education=E.DOCTORAL
    )
    result = compute_crs(profile(age=25, spouse=spouse))
    assert points(result, "age") == (100 if counts else 110)
    assert result.spouse == (10 if counts else 0)


# C1. Education transferability: (education, min CLB, Canadian years, expected points).
EDUCATION_TRANSFER_ROWS = [
    # Secondary or less: nothing in any column.
    (E.SECONDARY, 9, 2, 0),
    (E.LESS_THAN_SECONDARY, 10, 5, 0),
    # One credential of a year or longer (1-year, 2-year, bachelor's): 13 / 25.
    *[(e, 7, 0, 13) for e in (E.ONE_YEAR, E.TWO_YEAR, E.BACHELORS_OR_THREE_YEAR)],
    *[(e, 9, 0, 25) for e in (E.ONE_YEAR, E.TWO_YEAR, E.BACHELORS_OR_THREE_YEAR)],
    *[(e, 6, 1, 13) for e in (E.ONE_YEAR, E.TWO_YEAR, E.BACHELORS_OR_THREE_YEAR)],
    *[(e, 6, 2, 25) for e in (E.ONE_YEAR, E.TWO_YEAR, E.BACHELORS_OR_THREE_YEAR)],
    (E.BACHELORS_OR_THREE_YEAR, 9, 2, 50),  # 25 + 25
    (E.ONE_YEAR, 8, 1, 26),  # 13 + 13
    # Two or more, master's, doctoral: 25 / 50.
    *[(e, 7, 0, 25) for e in (E.TWO_OR_MORE, E.MASTERS_OR_PROFESSIONAL, E.DOCTORAL)],
    *[(e, 9, 0, 50) for e in (E.TWO_OR_MORE, E.MASTERS_OR_PROFESSIONAL, E.DOCTORAL)],
    *[(e, 6, 1, 25) for e in (E.TWO_OR_MORE, E.MASTERS_OR_PROFESSIONAL, E.DOCTORAL)],
    *[(e, 6, 2, 50) for e in (E.TWO_OR_MORE, E.MASTERS_OR_PROFESSIONAL, E.DOCTORAL)],
    (E.DOCTORAL, 9, 2, 50),  # 50 + 50 capped at 50
    (E.MASTERS_OR_PROFESSIONAL, 6, 0, 0),  # below CLB 7, no Canadian work
]


@pytest.mark.parametrize(("education", "clb", "years", "expected"), EDUCATION_TRANSFER_ROWS)
def test_education_transferability(
    education: Education, clb: int, years: int, expected: int
) -> None:
    result = compute_crs(
        profile(education=education, first_language=levels(clb), canadian_work_years=years)
    )
    assert points(result, "education_transferability") == expected


def test_transferability_band_uses_the_lowest_ability() -> None:
    # 10/10/10/8: lowest is 8, so "CLB 7+ with one under 9" (13), not CLB 9+ (25).
    result = compute_crs(profile(education=E.ONE_YEAR, first_language=levels(10, 10, 10, 8)))
    assert points(result, "education_transferability") == 13


FOREIGN_TRANSFER_ROWS = [
    (0, 9, 2, 0),
    (1, 7, 0, 13),
    (2, 9, 0, 25),
    (1, 6, 1, 13),
    (2, 6, 2, 25),
    (2, 9, 2, 50),
    (3, 7, 0, 25),
    (3, 9, 0, 50),
    (3, 6, 1, 25),
    (3, 6, 2, 50),
    (5, 9, 2, 50),
    (3, 8, 1, 50),
    (10, 6, 0, 0),
]


@pytest.mark.parametrize(("foreign", "clb", "years", "expected"), FOREIGN_TRANSFER_ROWS)
def test_foreign_work_transferability(foreign: int, clb: int, years: int, expected: int) -> None:
    result = compute_crs(
        profile(foreign_work_years=foreign, first_language=levels(clb), canadian_work_years=years)
    )
    assert points(result, "foreign_work_transferability") == expected


CERTIFICATE_ROWS = [
    (True, 4, 0),
    (True, 5, 25),
    (True, 6, 25),
    (True, 7, 50),
    (True, 10, 50),
    (False, 10, 0),
]


@pytest.mark.parametrize(("certificate", "clb", "expected"), CERTIFICATE_ROWS)
def test_certificate_of_qualification(certificate: bool, clb: int, expected: int) -> None:
    result = compute_crs(
        profile(certificate_of_qualification=certificate, first_language=levels(clb))
    )
    assert points(result, "certificate_of_qualification") == expected


def test_skill_transferability_total_is_capped_at_100() -> None:
    # 50 (education) + 50 (foreign work) + 50 (certificate) = 150, shown and cut to 100.
    result = compute_crs(
        profile(
            education=E.DOCTORAL,
            foreign_work_years=3,
            certificate_of_qualification=True,
            first_language=levels(9),
        )
    )
    assert result.skill_transferability == 100
    assert points(result, "skill_transferability_limit") == -50


ADDITIONAL_ROWS = [
    ({"sibling_in_canada": True}, 15),
    ({"canadian_education": CanadianEducation.ONE_OR_TWO_YEAR, "education": E.ONE_YEAR}, 15),
    (
        {
            "canadian_education": CanadianEducation.THREE_YEAR_OR_MORE,
            "education": E.BACHELORS_OR_THREE_YEAR,
        },
        30,
    ),
    ({"provincial_nomination": True}, 600),
    # French NCLC 7+ in all four, no English test: 25.
    ({"first_language": levels(7, language=FRENCH)}, 25),
    # French NCLC 7+ and English CLB 4 or lower: 25.
    ({"first_language": levels(7, language=FRENCH), "second_language": levels(4)}, 25),
    # French NCLC 7+ and English CLB 5+ in all four: 50 (French second language works too).
    ({"first_language": levels(7, language=FRENCH), "second_language": levels(5)}, 50),
    ({"first_language": levels(5), "second_language": levels(9, language=FRENCH)}, 50),
    # French with one ability at 6: no bonus.
    ({"first_language": levels(7, 7, 7, 6, language=FRENCH), "second_language": levels(9)}, 0),
    # English only: no bonus.
    ({"first_language": levels(10)}, 0),
]


@pytest.mark.parametrize(("changes", "expected"), ADDITIONAL_ROWS)
def test_additional_points(changes: dict[str, object], expected: int) -> None:
    assert compute_crs(profile(**changes)).additional == expected


def test_additional_points_are_capped_at_600() -> None:
    # 600 + 15 + 30 + 50 = 695 -> 600.
    result = compute_crs(
        profile(
            provincial_nomination=True,
            sibling_in_canada=True,
            education=E.DOCTORAL,
            canadian_education=CanadianEducation.THREE_YEAR_OR_MORE,
            first_language=levels(9, language=FRENCH),
            second_language=levels(9),
        )
    )
    assert result.additional == 600
    assert points(result, "additional_limit") == -95


def test_no_points_for_a_job_offer_since_march_2025() -> None:
    # There is no job-offer input at all: nothing in the result mentions one.
    result = compute_crs(profile(age=29))
    assert not any("job" in f.key or "employment" in f.key for f in result.factors)

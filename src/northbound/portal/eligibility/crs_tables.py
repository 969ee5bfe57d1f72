"""Comprehensive Ranking System points, as data.

Figures are the tables in force since 25 March 2025 (no arranged-employment points), from
IRCC's "CRS criteria" page and the Ministerial Instructions respecting the Express Entry
system. Each pair is ``(with spouse, without spouse)``; "with spouse" means a spouse or
partner who is coming to Canada and is not a Canadian citizen or permanent resident.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Education(StrEnum):
    """Highest level of education, in increasing order (order matters: see ``EDUCATION_RANK``)."""

    LESS_THAN_SECONDARY = "less_than_secondary"
    SECONDARY = "secondary"
    ONE_YEAR = "one_year"
    TWO_YEAR = "two_year"
    BACHELORS_OR_THREE_YEAR = "bachelors_or_three_year"
    TWO_OR_MORE = "two_or_more"
    MASTERS_OR_PROFESSIONAL = "masters_or_professional"
    DOCTORAL = "doctoral"


EDUCATION_RANK: Final[dict[Education, int]] = {level: i for i, level in enumerate(Education)}


class CanadianEducation(StrEnum):
    """Post-secondary credential earned in Canada (for the additional-points bonus)."""

    NONE = "none"
    ONE_OR_TWO_YEAR = "one_or_two_year"
    THREE_YEAR_OR_MORE = "three_year_or_more"


# Pairs are (with spouse, without spouse).
Pair = tuple[int, int]

MAX_AGE_TABLE: Final = 44
AGE_POINTS: Final[dict[int, Pair]] = {
    18: (90, 99),
    19: (95, 105),
    **{age: (100, 110) for age in range(20, 30)},
    30: (95, 105),
    31: (90, 99),
    32: (85, 94),
    33: (80, 88),
    34: (75, 83),
    35: (70, 77),
    36: (65, 72),
    37: (60, 66),
    38: (55, 61),
    39: (50, 55),
    40: (45, 50),
    41: (35, 39),
    42: (25, 28),
    43: (15, 17),
    44: (5, 6),
}
"""Ages not listed (17 or less, 45 or more) earn 0."""

EDUCATION_POINTS: Final[dict[Education, Pair]] = {
    Education.LESS_THAN_SECONDARY: (0, 0),
    Education.SECONDARY: (28, 30),
    Education.ONE_YEAR: (84, 90),
    Education.TWO_YEAR: (91, 98),
    Education.BACHELORS_OR_THREE_YEAR: (112, 120),
    Education.TWO_OR_MORE: (119, 128),
    Education.MASTERS_OR_PROFESSIONAL: (126, 135),
    Education.DOCTORAL: (140, 150),
}


def first_language_points(clb: int) -> Pair:
    """Points for one ability of the first official language."""
    if clb >= 10:
        return (32, 34)
    return {9: (29, 31), 8: (22, 23), 7: (16, 17), 6: (8, 9), 5: (6, 6), 4: (6, 6)}.get(clb, (0, 0))


def second_language_points(clb: int) -> int:
    """Points for one ability of the second official language (same with or without spouse)."""
    if clb >= 9:
        return 6
    if clb >= 7:
        return 3
    if clb >= 5:
        return 1
    return 0


SECOND_LANGUAGE_CAP: Final[Pair] = (22, 24)

CANADIAN_WORK_POINTS: Final[dict[int, Pair]] = {
    0: (0, 0),
    1: (35, 40),
    2: (46, 53),
    3: (56, 64),
    4: (63, 72),
    5: (70, 80),
}
"""Keyed by whole years; 5 means five years or more."""

CORE_CAPS: Final[dict[str, Pair]] = {
    "age": (100, 110),
    "education": (140, 150),
    "first_language": (128, 136),
    "second_language": SECOND_LANGUAGE_CAP,
    "canadian_work": (70, 80),
}
CORE_CAP: Final[Pair] = (460, 500)

# Spouse or common-law partner factors (only "with spouse").
SPOUSE_EDUCATION_POINTS: Final[dict[Education, int]] = {
    Education.LESS_THAN_SECONDARY: 0,
    Education.SECONDARY: 2,
    Education.ONE_YEAR: 6,
    Education.TWO_YEAR: 7,
    Education.BACHELORS_OR_THREE_YEAR: 8,
    Education.TWO_OR_MORE: 9,
    Education.MASTERS_OR_PROFESSIONAL: 10,
    Education.DOCTORAL: 10,
}


def spouse_language_points(clb: int) -> int:
    """Points for one ability of the spouse's first official language."""
    if clb >= 9:
        return 5
    if clb >= 7:
        return 3
    if clb >= 5:
        return 1
    return 0


SPOUSE_CANADIAN_WORK_POINTS: Final[dict[int, int]] = {0: 0, 1: 5, 2: 7, 3: 8, 4: 9, 5: 10}
SPOUSE_CAPS: Final[dict[str, int]] = {"education": 10, "language": 20, "canadian_work": 10}
SPOUSE_CAP: Final = 40
CORE_AND_SPOUSE_CAP: Final = 500

# Skill transferability: every combination pays (lower tier, higher tier).
TRANSFER_TIER_POINTS: Final[dict[str, Pair]] = {
    # Post-secondary credential of one year or longer (1-year, 2-year, bachelor's/3-year).
    "education_one_credential": (13, 25),
    # Two or more credentials (one of 3+ years), master's/professional, doctoral.
    "education_advanced": (25, 50),
    "foreign_work_one_or_two": (13, 25),
    "foreign_work_three_plus": (25, 50),
    "certificate": (25, 50),
}
TRANSFER_GROUP_CAP: Final = 50
TRANSFER_CAP: Final = 100

# Additional points.
SIBLING_POINTS: Final = 15
FRENCH_ONLY_POINTS: Final = 25
FRENCH_AND_ENGLISH_POINTS: Final = 50
CANADIAN_EDUCATION_POINTS: Final[dict[CanadianEducation, int]] = {
    CanadianEducation.NONE: 0,
    CanadianEducation.ONE_OR_TWO_YEAR: 15,
    CanadianEducation.THREE_YEAR_OR_MORE: 30,
}
PROVINCIAL_NOMINATION_POINTS: Final = 600
ADDITIONAL_CAP: Final = 600

TOTAL_CAP: Final = 1200

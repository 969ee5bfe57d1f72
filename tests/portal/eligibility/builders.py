"""Small builders for test profiles: everything minimal unless a test says otherwise."""

from __future__ import annotations

from typing import Any

from northbound.portal.eligibility.crs import CrsResult
from northbound.portal.eligibility.crs_profile import CrsProfile, Spouse
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import LanguageLevels, OfficialLanguage

ENGLISH = OfficialLanguage.ENGLISH
FRENCH = OfficialLanguage.FRENCH


def levels(
    s: int,
    li: int | None = None,
    r: int | None = None,
    w: int | None = None,
    language: OfficialLanguage = ENGLISH,
) -> LanguageLevels:
    """Levels in speaking, listening, reading, writing (all ``s`` unless given)."""
    return LanguageLevels(
        language, s, s if li is None else li, s if r is None else r, s if w is None else w
    )


def profile(**changes: Any) -> CrsProfile:
    base: dict[str, Any] = dict(
        age=17,
        education=Education.LESS_THAN_SECONDARY,
        canadian_education=CanadianEducation.NONE,
        first_language=levels(3),
        second_language=None,
        canadian_work_years=0,
        foreign_work_years=0,
        certificate_of_qualification=False,
        provincial_nomination=False,
        sibling_in_canada=False,
        spouse=None,
    )
    base.update(changes)
    return CrsProfile(**base)


def counting_spouse(**changes: Any) -> Spouse:
    base: dict[str, Any] = dict(
        accompanying=True,
        canadian_citizen_or_pr=False,
        education=Education.LESS_THAN_SECONDARY,
        canadian_work_years=0,
        language=None,
    )
    base.update(changes)
    return Spouse(**base)


def points(result: CrsResult, key: str) -> int:
    return sum(f.points for f in result.factors if f.key == key)

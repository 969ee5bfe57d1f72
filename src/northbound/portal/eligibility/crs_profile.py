"""Who the CRS scores: the applicant, their spouse or partner, and which answers contradict
each other.

Apart from :mod:`.crs`, which turns a profile into points, so that module holds only the
rules; the figures are in :mod:`.crs_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

from northbound.portal.eligibility import crs_tables as t
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import LanguageLevels
from northbound.portal.eligibility.text import N_, Message, Problem


@dataclass(frozen=True, slots=True)
class Spouse:
    """The applicant's spouse or common-law partner."""

    accompanying: bool
    canadian_citizen_or_pr: bool
    education: Education
    canadian_work_years: int
    language: LanguageLevels | None

    @property
    def counts(self) -> bool:
        """Spouse factors apply only to a partner who comes along and is not already Canadian."""
        return self.accompanying and not self.canadian_citizen_or_pr


@dataclass(frozen=True, slots=True)
class CrsProfile:
    """Everything the CRS needs. Work years are whole years of skilled work in the last 10."""

    age: int
    education: Education
    canadian_education: CanadianEducation
    first_language: LanguageLevels
    second_language: LanguageLevels | None
    canadian_work_years: int
    foreign_work_years: int
    certificate_of_qualification: bool
    provincial_nomination: bool
    sibling_in_canada: bool
    spouse: Spouse | None = None

    @property
    def with_spouse(self) -> bool:
        return self.spouse is not None and self.spouse.counts


def profile_problems(p: CrsProfile) -> list[Problem]:
    """Answers that contradict each other, with the path of the field to fix."""
    problems: list[Problem] = []
    second = p.second_language
    if second is not None and second.language is p.first_language.language:
        problems.append(
            Problem(
                ("second_language", "test"),
                Message(
                    N_(
                        "Your second language must be the other official language "
                        "(English or French)."
                    )
                ),
            )
        )
    rank = t.EDUCATION_RANK[p.education]
    if (
        p.canadian_education is CanadianEducation.THREE_YEAR_OR_MORE
        and rank < t.EDUCATION_RANK[Education.BACHELORS_OR_THREE_YEAR]
    ) or (
        p.canadian_education is CanadianEducation.ONE_OR_TWO_YEAR
        and rank < t.EDUCATION_RANK[Education.ONE_YEAR]
    ):
        problems.append(
            Problem(
                ("canadian_education",),
                Message(
                    N_(
                        "Your Canadian credential cannot be higher than your highest "
                        "level of education."
                    )
                ),
            )
        )
    return problems

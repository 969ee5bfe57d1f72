"""Comprehensive Ranking System (Express Entry) score, one small function per rule."""

from __future__ import annotations

from dataclasses import dataclass

from northbound.portal.eligibility import crs_tables as t
from northbound.portal.eligibility.crs_profile import CrsProfile, Spouse
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.factors import Factor, limit_factor
from northbound.portal.eligibility.language import (
    FIRST_LANGUAGE_LABELS,
    Ability,
    LanguageLevels,
    OfficialLanguage,
)
from northbound.portal.eligibility.text import N_

CORE = "core"
SPOUSE = "spouse"
TRANSFER = "skill_transferability"
ADDITIONAL = "additional"

_SPOUSE_ABILITY_LABELS = {
    Ability.SPEAKING: N_("Spouse's official language: speaking"),
    Ability.LISTENING: N_("Spouse's official language: listening"),
    Ability.READING: N_("Spouse's official language: reading"),
    Ability.WRITING: N_("Spouse's official language: writing"),
}


@dataclass(frozen=True, slots=True)
class CrsResult:
    total: int
    core: int
    spouse: int
    skill_transferability: int
    additional: int
    factors: tuple[Factor, ...]


def _pick(pair: t.Pair, with_spouse: bool) -> int:
    return pair[0] if with_spouse else pair[1]


def age_points(age: int, with_spouse: bool) -> int:
    pair = t.AGE_POINTS.get(age)
    return 0 if pair is None else _pick(pair, with_spouse)


def education_points(education: Education, with_spouse: bool) -> int:
    return _pick(t.EDUCATION_POINTS[education], with_spouse)


def canadian_work_points(years: int, with_spouse: bool) -> int:
    return _pick(t.CANADIAN_WORK_POINTS[min(years, 5)], with_spouse)


def second_language_total(levels: LanguageLevels | None, with_spouse: bool) -> int:
    if levels is None:
        return 0
    raw = sum(t.second_language_points(levels.level(a)) for a in Ability)
    return min(raw, _pick(t.SECOND_LANGUAGE_CAP, with_spouse))


def _language_band(lowest_clb: int) -> int:
    """0 below CLB 7, 1 for CLB 7+ with one ability under 9, 2 for CLB 9+ in all four."""
    return 2 if lowest_clb >= 9 else 1 if lowest_clb >= 7 else 0


def _canadian_work_band(years: int) -> int:
    return 2 if years >= 2 else 1 if years == 1 else 0


def _tier_points(row: str | None, band: int) -> int:
    return 0 if row is None or band == 0 else t.TRANSFER_TIER_POINTS[row][band - 1]


def education_row(education: Education) -> str | None:
    """Which transferability row an education level falls in (None: secondary or less)."""
    rank = t.EDUCATION_RANK[education]
    if rank <= t.EDUCATION_RANK[Education.SECONDARY]:
        return None
    if rank <= t.EDUCATION_RANK[Education.BACHELORS_OR_THREE_YEAR]:
        return "education_one_credential"
    return "education_advanced"


def foreign_work_row(years: int) -> str | None:
    if years >= 3:
        return "foreign_work_three_plus"
    return "foreign_work_one_or_two" if years >= 1 else None


def certificate_points(has_certificate: bool, lowest_clb: int) -> int:
    if not has_certificate or lowest_clb < 5:
        return 0
    return t.TRANSFER_TIER_POINTS["certificate"][1 if lowest_clb >= 7 else 0]


def french_bonus(first: LanguageLevels, second: LanguageLevels | None) -> int:
    """25 for NCLC 7+ in all four French abilities; 50 if English is also CLB 5+ in all four."""
    french, english = (
        (first, second) if first.language is OfficialLanguage.FRENCH else (second, first)
    )
    if french is None or french.language is not OfficialLanguage.FRENCH:
        return 0
    if not french.all_at_least(7):
        return 0
    if (
        english is not None
        and english.language is OfficialLanguage.ENGLISH
        and english.all_at_least(5)
    ):
        return t.FRENCH_AND_ENGLISH_POINTS
    return t.FRENCH_ONLY_POINTS


def _levels_text(levels: LanguageLevels | None) -> str:
    if levels is None:
        return "none"
    return f"{levels.speaking}/{levels.listening}/{levels.reading}/{levels.writing}"


def _core_factors(p: CrsProfile, ws: bool) -> list[Factor]:
    caps = t.CORE_CAPS
    out = [
        Factor(CORE, "age", N_("Age"), str(p.age), age_points(p.age, ws), _pick(caps["age"], ws)),
        Factor(
            CORE,
            "education",
            N_("Level of education"),
            p.education.value,
            education_points(p.education, ws),
            _pick(caps["education"], ws),
        ),
    ]
    ability_cap = _pick(caps["first_language"], ws) // 4
    for ability in Ability:
        level = p.first_language.level(ability)
        points = _pick(t.first_language_points(level), ws)
        out.append(
            Factor(
                CORE,
                f"first_language_{ability.value}",
                FIRST_LANGUAGE_LABELS[ability],
                str(level),
                points,
                ability_cap,
            )
        )
    out.append(
        Factor(
            CORE,
            "second_language",
            N_("Second official language (all four abilities)"),
            _levels_text(p.second_language),
            second_language_total(p.second_language, ws),
            _pick(caps["second_language"], ws),
        )
    )
    out.append(
        Factor(
            CORE,
            "canadian_work",
            N_("Canadian work experience (years)"),
            str(p.canadian_work_years),
            canadian_work_points(p.canadian_work_years, ws),
            _pick(caps["canadian_work"], ws),
        )
    )
    return out


def _spouse_factors(spouse: Spouse) -> list[Factor]:
    caps = t.SPOUSE_CAPS
    out = [
        Factor(
            SPOUSE,
            "spouse_education",
            N_("Spouse's level of education"),
            spouse.education.value,
            t.SPOUSE_EDUCATION_POINTS[spouse.education],
            caps["education"],
        ),
    ]
    per_ability_cap = caps["language"] // 4
    for ability in Ability:
        level = None if spouse.language is None else spouse.language.level(ability)
        points = 0 if level is None else t.spouse_language_points(level)
        out.append(
            Factor(
                SPOUSE,
                f"spouse_language_{ability.value}",
                _SPOUSE_ABILITY_LABELS[ability],
                "none" if level is None else str(level),
                points,
                per_ability_cap,
            )
        )
    years = spouse.canadian_work_years
    out.append(
        Factor(
            SPOUSE,
            "spouse_canadian_work",
            N_("Spouse's Canadian work experience (years)"),
            str(years),
            t.SPOUSE_CANADIAN_WORK_POINTS[min(years, 5)],
            caps["canadian_work"],
        )
    )
    return out


def _transfer_pair(
    key: str, label: str, row: str | None, language_band: int, work_band: int
) -> Factor:
    """A transferability group: (factor x language) + (factor x Canadian work), capped at 50.

    The value shows both combinations' points, e.g. "25 + 50" (before the cap).
    """
    with_language = _tier_points(row, language_band)
    with_work = _tier_points(row, work_band)
    return Factor(
        TRANSFER,
        key,
        label,
        f"{with_language} + {with_work}",
        min(t.TRANSFER_GROUP_CAP, with_language + with_work),
        t.TRANSFER_GROUP_CAP,
    )


def _transfer_factors(p: CrsProfile) -> list[Factor]:
    lowest = p.first_language.lowest
    language_band = _language_band(lowest)
    work_band = _canadian_work_band(p.canadian_work_years)
    out = [
        _transfer_pair(
            "education_transferability",
            N_("Education with strong language or Canadian work experience"),
            education_row(p.education),
            language_band,
            work_band,
        ),
        _transfer_pair(
            "foreign_work_transferability",
            N_("Foreign work experience with strong language or Canadian work"),
            foreign_work_row(p.foreign_work_years),
            language_band,
            work_band,
        ),
        Factor(
            TRANSFER,
            "certificate_of_qualification",
            N_("Certificate of qualification with language ability"),
            "yes" if p.certificate_of_qualification else "no",
            certificate_points(p.certificate_of_qualification, lowest),
            t.TRANSFER_GROUP_CAP,
        ),
    ]
    limit = limit_factor(
        TRANSFER,
        N_("Skill transferability is limited to 100 points"),
        sum(f.points for f in out),
        t.TRANSFER_CAP,
    )
    if limit is not None:
        out.append(limit)
    return out


def _additional_factors(p: CrsProfile) -> list[Factor]:
    out = [
        Factor(
            ADDITIONAL,
            "provincial_nomination",
            N_("Provincial or territorial nomination"),
            "yes" if p.provincial_nomination else "no",
            t.PROVINCIAL_NOMINATION_POINTS if p.provincial_nomination else 0,
            t.PROVINCIAL_NOMINATION_POINTS,
        ),
        Factor(
            ADDITIONAL,
            "french",
            N_("Strong French language skills"),
            _levels_text(
                p.first_language
                if p.first_language.language is OfficialLanguage.FRENCH
                else p.second_language
            ),
            french_bonus(p.first_language, p.second_language),
            t.FRENCH_AND_ENGLISH_POINTS,
        ),
        Factor(
            ADDITIONAL,
            "canadian_education",
            N_("Post-secondary education in Canada"),
            p.canadian_education.value,
            t.CANADIAN_EDUCATION_POINTS[p.canadian_education],
            t.CANADIAN_EDUCATION_POINTS[CanadianEducation.THREE_YEAR_OR_MORE],
        ),
        Factor(
            ADDITIONAL,
            "sibling_in_canada",
            N_("Brother or sister in Canada"),
            "yes" if p.sibling_in_canada else "no",
            t.SIBLING_POINTS if p.sibling_in_canada else 0,
            t.SIBLING_POINTS,
        ),
    ]
    limit = limit_factor(
        ADDITIONAL,
        N_("Additional points are limited to 600"),
        sum(f.points for f in out),
        t.ADDITIONAL_CAP,
    )
    if limit is not None:
        out.append(limit)
    return out


def compute_crs(profile: CrsProfile) -> CrsResult:
    """Score a profile under the rules in force since 25 March 2025 (no job-offer points)."""
    ws = profile.with_spouse
    core = _core_factors(profile, ws)
    spouse = _spouse_factors(profile.spouse) if ws and profile.spouse is not None else []
    transfer = _transfer_factors(profile)
    additional = _additional_factors(profile)
    core_total = sum(f.points for f in core)
    spouse_total = sum(f.points for f in spouse)
    transfer_total = sum(f.points for f in transfer)
    additional_total = sum(f.points for f in additional)
    return CrsResult(
        total=core_total + spouse_total + transfer_total + additional_total,
        core=core_total,
        spouse=spouse_total,
        skill_transferability=transfer_total,
        additional=additional_total,
        factors=(*core, *spouse, *transfer, *additional),
    )

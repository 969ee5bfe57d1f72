"""Properties of the CRS over random profiles: caps hold, explanations add up, and more
language ability, education or experience never lowers a score."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.eligibility import crs_tables as t
from northbound.portal.eligibility.crs import compute_crs
from northbound.portal.eligibility.crs_profile import CrsProfile, Spouse
from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import LanguageLevels, OfficialLanguage

level = st.integers(min_value=1, max_value=12)


def language(lang: OfficialLanguage) -> st.SearchStrategy[LanguageLevels]:
    return st.builds(LanguageLevels, st.just(lang), level, level, level, level)


@st.composite
def profiles(draw: st.DrawFn) -> CrsProfile:
    first_lang = draw(st.sampled_from(OfficialLanguage))
    other = (
        OfficialLanguage.FRENCH
        if first_lang is OfficialLanguage.ENGLISH
        else (OfficialLanguage.ENGLISH)
    )
    spouse = draw(
        st.none()
        | st.builds(
            Spouse,
            st.booleans(),
            st.booleans(),
            st.sampled_from(Education),
            st.integers(0, 10),
            st.none() | language(draw(st.sampled_from(OfficialLanguage))),
        )
    )
    return CrsProfile(
        age=draw(st.integers(0, 120)),
        education=draw(st.sampled_from(Education)),
        canadian_education=draw(st.sampled_from(CanadianEducation)),
        first_language=draw(language(first_lang)),
        second_language=draw(st.none() | language(other)),
        canadian_work_years=draw(st.integers(0, 10)),
        foreign_work_years=draw(st.integers(0, 10)),
        certificate_of_qualification=draw(st.booleans()),
        provincial_nomination=draw(st.booleans()),
        sibling_in_canada=draw(st.booleans()),
        spouse=spouse,
    )


@given(profiles())
def test_totals_stay_within_their_caps(p: CrsProfile) -> None:
    r = compute_crs(p)
    core_cap = t.CORE_CAP[0] if p.with_spouse else t.CORE_CAP[1]
    assert 0 <= r.core <= core_cap
    assert 0 <= r.spouse <= t.SPOUSE_CAP
    assert r.core + r.spouse <= t.CORE_AND_SPOUSE_CAP
    assert 0 <= r.skill_transferability <= t.TRANSFER_CAP
    assert 0 <= r.additional <= t.ADDITIONAL_CAP
    assert r.total == r.core + r.spouse + r.skill_transferability + r.additional
    assert 0 <= r.total <= t.TOTAL_CAP


@given(profiles())
def test_every_factor_within_its_cap_and_groups_add_up(p: CrsProfile) -> None:
    r = compute_crs(p)
    for f in r.factors:
        if f.key.endswith("_limit"):
            assert f.points < 0
        else:
            assert 0 <= f.points <= f.cap
    by_group = {
        "core": r.core,
        "spouse": r.spouse,
        "skill_transferability": r.skill_transferability,
        "additional": r.additional,
    }
    for group, total in by_group.items():
        assert sum(f.points for f in r.factors if f.group == group) == total


ABILITIES = ("speaking", "listening", "reading", "writing")


def _raise(levels: LanguageLevels, ability: str) -> LanguageLevels:
    return dataclasses.replace(levels, **{ability: min(12, getattr(levels, ability) + 1)})


@given(profiles(), st.sampled_from(ABILITIES))
def test_more_language_ability_never_lowers_the_score(p: CrsProfile, ability: str) -> None:
    before = compute_crs(p).total
    assert (
        compute_crs(dataclasses.replace(p, first_language=_raise(p.first_language, ability))).total
        >= before
    )
    if p.second_language is not None:
        better = dataclasses.replace(p, second_language=_raise(p.second_language, ability))
        assert compute_crs(better).total >= before
    if p.spouse is not None and p.spouse.language is not None:
        spouse = dataclasses.replace(p.spouse, language=_raise(p.spouse.language, ability))
        assert compute_crs(dataclasses.replace(p, spouse=spouse)).total >= before


@given(profiles())
def test_more_education_never_lowers_the_score(p: CrsProfile) -> None:
    before = compute_crs(p).total
    for higher in list(Education)[t.EDUCATION_RANK[p.education] + 1 :]:
        assert compute_crs(dataclasses.replace(p, education=higher)).total >= before
    if p.spouse is not None:
        for higher in list(Education)[t.EDUCATION_RANK[p.spouse.education] + 1 :]:
            spouse = dataclasses.replace(p.spouse, education=higher)
            assert compute_crs(dataclasses.replace(p, spouse=spouse)).total >= before


@given(profiles())
def test_more_experience_never_lowers_the_score(p: CrsProfile) -> None:
    before = compute_crs(p).total
    for field in ("canadian_work_years", "foreign_work_years"):
        more = dataclasses.replace(p, **{field: min(10, getattr(p, field) + 1)})
        assert compute_crs(more).total >= before

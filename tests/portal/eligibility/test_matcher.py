"""The "find out if you can immigrate" matcher: programs listed with reasons, goal first."""

from __future__ import annotations

from typing import Any

from northbound.portal.eligibility.crs_tables import Education
from northbound.portal.eligibility.matcher import (
    Answers,
    Goal,
    MatchResult,
    Program,
    Status,
    match_programs,
)
from northbound.portal.eligibility.programs import TeerGroup
from tests.portal.eligibility.builders import levels, profile


def answers(**changes: Any) -> Answers:
    base: dict[str, Any] = dict(
        goal=Goal.IMMIGRATE,
        status=Status.NONE,
        profile=profile(
            age=29,
            education=Education.BACHELORS_OR_THREE_YEAR,
            first_language=levels(9),
            foreign_work_years=3,
        ),
        canadian_work_years_last_3=0,
        canadian_work_teer=None,
        trade_work_years_last_5=0,
        job_offer=False,
        letter_of_acceptance=False,
        family_citizen_or_pr=False,
    )
    base.update(changes)
    return Answers(**base)


def by_program(result: MatchResult) -> dict[Program, Any]:
    return {m.program: m for m in result.programs}


def test_skilled_worker_abroad() -> None:
    result = match_programs(answers())
    found = by_program(result)
    # FSW grid: CLB 9 x 4 = 24, bachelor's 21, 3 years 11, age 12 = 68 -> passes.
    assert result.fsw.points == 68
    assert found[Program.FEDERAL_SKILLED_WORKER].may_qualify
    assert found[Program.FEDERAL_SKILLED_WORKER].crs_score == result.crs.total == 429
    assert not found[Program.CANADIAN_EXPERIENCE_CLASS].may_qualify
    assert found[Program.VISIT].may_qualify
    assert not found[Program.CITIZENSHIP].may_qualify
    assert result.programs[0].program is Program.FEDERAL_SKILLED_WORKER
    assert all(m.reasons for m in result.programs)


def test_goal_orders_the_list() -> None:
    result = match_programs(answers(goal=Goal.STUDY, letter_of_acceptance=True))
    assert result.programs[0].program is Program.STUDY_PERMIT
    assert result.programs[0].may_qualify
    assert len(result.programs) == len(Program)


def test_worker_in_canada_qualifies_for_cec() -> None:
    p = profile(
        age=27, education=Education.TWO_YEAR, first_language=levels(7), canadian_work_years=1
    )
    found = by_program(
        match_programs(
            answers(
                profile=p,
                canadian_work_years_last_3=1,
                canadian_work_teer=TeerGroup.TEER_0_1,
                status=Status.TEMPORARY,
            )
        )
    )
    assert found[Program.CANADIAN_EXPERIENCE_CLASS].may_qualify
    assert not found[Program.VISIT].may_qualify  # already has status


def test_permanent_resident_sees_citizenship() -> None:
    found = by_program(
        match_programs(
            answers(
                goal=Goal.CITIZENSHIP,
                status=Status.PERMANENT_RESIDENT,
                days_in_canada_last_5_years=1200,
            )
        )
    )
    assert found[Program.CITIZENSHIP].may_qualify
    assert not found[Program.FEDERAL_SKILLED_WORKER].may_qualify
    short = by_program(
        match_programs(answers(status=Status.PERMANENT_RESIDENT, days_in_canada_last_5_years=900))
    )
    assert not short[Program.CITIZENSHIP].may_qualify


def test_family_and_work() -> None:
    found = by_program(match_programs(answers(family_citizen_or_pr=True, job_offer=True)))
    assert found[Program.FAMILY_SPONSORSHIP].may_qualify
    assert found[Program.WORK_PERMIT].may_qualify


def test_reasons_quote_the_rule_constants_in_each_language() -> None:
    """The 1,095 days and the 600 points come from the rules, written as each language
    writes numbers (the French catalog carries the same placeholder)."""
    from functools import partial

    from northbound.portal.eligibility.crs_tables import PROVINCIAL_NOMINATION_POINTS
    from northbound.portal.eligibility.physical_presence import REQUIRED_DAYS
    from northbound.web.i18n import translations, write_number

    assert (REQUIRED_DAYS, PROVINCIAL_NOMINATION_POINTS) == (1095, 600)
    citizenship = (
        by_program(
            match_programs(
                answers(
                    goal=Goal.CITIZENSHIP,
                    status=Status.PERMANENT_RESIDENT,
                    days_in_canada_last_5_years=900,
                )
            )
        )[Program.CITIZENSHIP]
        .reasons[0]
        .message
    )
    nominee = answers(
        profile=profile(
            age=29,
            education=Education.BACHELORS_OR_THREE_YEAR,
            first_language=levels(9),
            foreign_work_years=3,
            provincial_nomination=True,
        )
    )
    nomination = by_program(match_programs(nominee))[Program.PROVINCIAL_NOMINEE].reasons[0].message
    assert citizenship.render() == (
        "You reported 900 days in Canada in the last 5 years; 1,095 are needed."
    )
    assert "it adds 600 points" in nomination.render()
    french = translations("fr").gettext
    assert citizenship.render(french, partial(write_number, "fr")).endswith(
        "il en faut 1\u00a0095."
    )
    assert "elle ajoute 600 points" in nomination.render(french, partial(write_number, "fr"))

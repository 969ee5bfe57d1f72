"""Citizenship physical presence: hand-counted cases, date problems, and a brute-force twin."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.eligibility.physical_presence import (
    Absence,
    Period,
    PresenceInput,
    compute_presence,
    presence_problems,
    window_for,
    years_before,
)

D = date


def test_the_issue_example() -> None:
    # Window 2013-04-01..2018-03-31. PR 2016-01-01..2018-03-31: 366 + 365 + 90 = 821.
    # Temporary 2013-04-01..2015-12-31 = 1,005 days, minus the trip's 16 absent days
    # (4 to 19 February 2014) = 989 -> half is 494.5, capped at 365. Total 1,186.
    r = compute_presence(
        PresenceInput(
            application_date=D(2018, 4, 1),
            pr_date=D(2016, 1, 1),
            temporary_periods=(Period(D(2012, 4, 1), D(2015, 12, 31)),),
            absences=(Absence(D(2014, 2, 3), D(2014, 2, 20)),),
        )
    )
    assert (r.pr_days, r.temporary_days, r.temporary_credit, r.days_absent) == (821, 989, 365, 16)
    assert r.total_credit == 1186 and r.eligible and r.earliest_eligible_date is None


def test_departure_and_return_days_count_as_in_canada() -> None:
    def away(departure: D, back: D) -> PresenceInput:
        return PresenceInput(
            application_date=D(2024, 1, 1),
            pr_date=D(2018, 1, 1),
            absences=(Absence(departure, back),),
        )

    same_day = compute_presence(away(D(2020, 5, 5), D(2020, 5, 5)))
    next_day = compute_presence(away(D(2020, 5, 5), D(2020, 5, 6)))
    two_nights = compute_presence(away(D(2020, 5, 5), D(2020, 5, 7)))
    assert (same_day.days_absent, next_day.days_absent, two_nights.days_absent) == (0, 0, 1)


def test_short_pr_gets_the_earliest_date() -> None:
    # PR since 2020-01-01, applying 2022-01-01: 366 + 365 = 731 days, 364 short.
    # Staying on, 1,095 PR days run from 2020-01-01 to 2022-12-30, so apply 2022-12-31.
    r = compute_presence(PresenceInput(application_date=D(2022, 1, 1), pr_date=D(2020, 1, 1)))
    assert r.pr_days == 731 and not r.eligible
    assert r.earliest_eligible_date == D(2022, 12, 31)


def test_earliest_date_keeps_temporary_credit_while_it_lasts() -> None:
    # PR 2021-01-01; temporary since 2016. Applying 2022-06-01: PR 516 + 365 (capped) = 881.
    # The temporary days stay above 730 (so the credit stays 365) until the window starts
    # after 2019-01-02; PR days reach 730 on 2022-12-31, so apply 2023-01-01.
    r = compute_presence(
        PresenceInput(
            application_date=D(2022, 6, 1),
            pr_date=D(2021, 1, 1),
            temporary_periods=(Period(D(2016, 1, 1), D(2020, 12, 31)),),
        )
    )
    assert (r.pr_days, r.temporary_credit, r.total_credit) == (516, 365, 881)
    assert r.earliest_eligible_date == D(2023, 1, 1)


def test_sentence_days_do_not_count() -> None:
    # 1,826 days in the window 2019-01-01..2023-12-31, 100 of them serving a sentence.
    r = compute_presence(
        PresenceInput(
            application_date=D(2024, 1, 1),
            pr_date=D(2015, 1, 1),
            sentence_periods=(Period(D(2020, 1, 1), D(2020, 4, 9)),),
        )
    )
    assert (r.pr_days, r.sentence_days) == (1826 - 100, 100)


def test_days_outside_the_window_are_ignored() -> None:
    # A trip 2018-12-01..2019-01-10 is absent 2018-12-02..2019-01-09; only 9 days in the window.
    r = compute_presence(
        PresenceInput(
            application_date=D(2024, 1, 1),
            pr_date=D(2015, 1, 1),
            absences=(Absence(D(2018, 12, 1), D(2019, 1, 10)),),
        )
    )
    assert r.days_absent == 9 and r.pr_days == 1826 - 9


def test_window_from_29_february() -> None:
    assert years_before(D(2024, 2, 29), 5) == D(2019, 3, 1)
    assert window_for(D(2024, 2, 29)) == (D(2019, 3, 1), D(2024, 2, 28))


def test_date_problems_name_the_field() -> None:
    inp = PresenceInput(
        application_date=D(2020, 1, 1),
        pr_date=D(2021, 1, 1),
        temporary_periods=(Period(D(2019, 5, 1), D(2019, 4, 1)),),
        absences=(Absence(D(2019, 3, 10), D(2019, 3, 1)), Absence(D(2019, 12, 30), D(2020, 2, 1))),
        sentence_periods=(Period(D(2019, 1, 1), D(2020, 6, 1)),),
    )
    paths = [p.path for p in presence_problems(inp)]
    assert paths == [
        ("application_date",),
        ("temporary_periods", 0, "end"),
        ("sentence_periods", 0, "end"),
        ("absences", 0, "return"),
        ("absences", 1, "return"),
    ]


# A brute-force twin: walk every day of the window and apply the rules literally.
def _reference(inp: PresenceInput) -> tuple[int, int, int, int]:
    start, end = window_for(inp.application_date)
    pr = temp = absent = sentence = 0
    day = start
    while day <= end:
        away = any(a.departure < day < a.return_date for a in inp.absences)
        serving = any(s.start <= day <= s.end for s in inp.sentence_periods)
        absent += away
        sentence += serving
        if not away and not serving:
            if day >= inp.pr_date:
                pr += 1
            elif any(t.start <= day <= t.end for t in inp.temporary_periods):
                temp += 1
        day += timedelta(days=1)
    return pr, temp, absent, sentence


ORIGIN = D(2015, 1, 1)


@st.composite
def inputs(draw: st.DrawFn) -> PresenceInput:
    app = ORIGIN + timedelta(days=draw(st.integers(1000, 3000)))
    pr = ORIGIN + timedelta(days=draw(st.integers(0, (app - ORIGIN).days)))

    def span() -> tuple[date, date]:
        a = ORIGIN + timedelta(days=draw(st.integers(0, (app - ORIGIN).days)))
        b = a + timedelta(days=draw(st.integers(0, 400)))
        return a, min(b, app)

    temps = [Period(*span()) for _ in range(draw(st.integers(0, 3)))]
    trips = [Absence(*span()) for _ in range(draw(st.integers(0, 4)))]
    sentences = [Period(*span()) for _ in range(draw(st.integers(0, 2)))]
    return PresenceInput(app, pr, tuple(temps), tuple(trips), tuple(sentences))


@given(inputs())
def test_matches_a_day_by_day_count(inp: PresenceInput) -> None:
    assert presence_problems(inp) == []
    r = compute_presence(inp)
    assert (r.pr_days, r.temporary_days, r.days_absent, r.sentence_days) == _reference(inp)
    assert r.total_credit == r.pr_days + min(365, r.temporary_days / 2)
    assert r.eligible is (r.total_credit >= 1095)
    if r.earliest_eligible_date is not None:
        later = compute_presence(
            PresenceInput(
                r.earliest_eligible_date,
                inp.pr_date,
                inp.temporary_periods,
                inp.absences,
                inp.sentence_periods,
            )
        )
        assert later.eligible
        before = r.earliest_eligible_date - timedelta(days=1)
        if before > inp.application_date:
            assert not compute_presence(
                PresenceInput(
                    before, inp.pr_date, inp.temporary_periods, inp.absences, inp.sentence_periods
                )
            ).eligible
    else:
        assert r.eligible

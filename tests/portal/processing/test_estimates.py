"""The measured rule and the in-memory book (pure: no database, no clock)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.processing.estimates import (
    MIN_DECISIONS,
    Estimate,
    EstimateBook,
    days_for_most,
)


def test_four_in_five_by_nearest_rank() -> None:
    assert days_for_most(list(range(1, 11))) == 8
    # fractions of a day round up: a decision on day 7.2 was not made within 7 days
    assert days_for_most([7.2] * 10) == 8
    # a same-day decision still counts as one day, never zero
    assert days_for_most([0.1] * 10) == 1


def test_too_few_decisions_give_no_figure() -> None:
    assert days_for_most([30.0] * (MIN_DECISIONS - 1)) is None
    assert days_for_most([]) is None
    assert days_for_most([30.0] * MIN_DECISIONS) == 30


@given(
    st.lists(
        st.floats(min_value=0, max_value=2000, allow_nan=False),
        min_size=MIN_DECISIONS,
        max_size=300,
    )
)
def test_the_figure_covers_four_in_five_and_no_fewer_days_would(durations: list[float]) -> None:
    days = days_for_most(durations)
    assert days is not None
    needed = math.ceil(0.8 * len(durations))
    assert sum(d <= days for d in durations) >= needed
    if days > 1:
        assert sum(d <= days - 1 for d in durations) < needed


def test_measured_wins_then_country_then_everywhere() -> None:
    book = EstimateBook()
    assert book.lookup("work_permit", "IN") is None and book.refreshed_at is None
    published = {
        ("work_permit", "IN"): Estimate(45, "published", published_on=date(2026, 11, 30)),
        ("express_entry", ""): Estimate(180, "published", published_on=date(2026, 11, 30)),
        ("citizenship", ""): Estimate(400, "published", published_on=date(2026, 11, 30)),
    }
    measured = {"citizenship": Estimate(210, "measured", decisions=40)}
    now = datetime(2026, 12, 3, tzinfo=UTC)
    book.replace(published, measured, now)
    assert book.lookup("work_permit", "IN") == published[("work_permit", "IN")]
    assert book.lookup("work_permit", "BR") is None
    assert book.lookup("express_entry") == published[("express_entry", "")]
    assert book.lookup("citizenship") == measured["citizenship"]
    assert book.refreshed_at == now

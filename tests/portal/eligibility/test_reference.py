"""Signed reference codes and the questionnaire's signed cookie."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.eligibility.questionnaire import AnswerCookie
from northbound.portal.eligibility.reference import (
    FIELDS,
    InvalidReference,
    make_code,
    read_code,
)

DAY = date(2026, 3, 1)
VALUES = {
    "age": "29",
    "education": "doctoral",
    "marital_status": "married",
    "first_language__test": "ielts",
    "first_language__speaking": "6.5",
    "first_language__listening": "9",
    "second_language__test": "tef",
    "second_language__writing": "512",
    "spouse__accompanying": "yes",
    "foreign_work_years": "3",
}


def test_round_trip_and_validity_window() -> None:
    code = make_code(VALUES, "secret", DAY)
    assert read_code(code, "secret", DAY) == VALUES
    assert read_code(code.lower().replace("-", " "), "secret", DAY + timedelta(days=59)) == VALUES
    with pytest.raises(InvalidReference):
        read_code(code, "secret", DAY + timedelta(days=60))
    with pytest.raises(InvalidReference):
        read_code(code, "secret", DAY - timedelta(days=1))  # issued "in the future"


def test_forged_or_broken_codes_are_refused() -> None:
    code = make_code(VALUES, "secret", DAY)
    with pytest.raises(InvalidReference):
        read_code(code, "another secret", DAY)
    flipped = ("B" if code[0] == "A" else "A") + code[1:]
    for bad in (flipped, code[:-4], "", "!!!!", "A" * 500):
        with pytest.raises(InvalidReference):
            read_code(bad, "secret", DAY)


def test_values_that_do_not_fit_are_dropped() -> None:
    code = make_code(
        {
            "age": "abc",
            "education": "kindergarten",
            "first_language__speaking": "6.25",
            "unknown": "1",
        },
        "secret",
        DAY,
    )
    assert read_code(code, "secret", DAY) == {}


@given(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=8)))
def test_any_form_values_encode_without_error(values: dict[str, str]) -> None:
    decoded = read_code(make_code(values, "k", DAY), "k", DAY)
    assert set(decoded) <= set(values)


def test_answer_cookie() -> None:
    cookie = AnswerCookie("secret")
    value = cookie.dump({"age": "30", "goal": "work", "not_a_field": "x"})
    assert cookie.load(value) == {"age": "30", "goal": "work"}
    assert AnswerCookie("other").load(value) == {}
    body, mac = value.rsplit(".", 1)
    assert cookie.load(body[:-2] + "xx." + mac) == {}
    for junk in (None, "", "nodot", "a.b", "." * 5000):
        assert cookie.load(junk) == {}

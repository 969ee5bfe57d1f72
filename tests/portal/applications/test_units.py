"""Receipt numbers, field checks and the tracker, without a server."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.applications.fields import Field, clean
from northbound.portal.applications.forms import FORMS, validate_all
from northbound.portal.applications.receipts import (
    check_digit,
    format_receipt,
    new_receipt,
    normalise_receipt,
)
from northbound.portal.applications.tracker import STAGES
from tests.support.accounts import ABOUT_YOU, PR_ANSWERS

TODAY = date(2026, 11, 3)
digits9 = st.text(alphabet="0123456789", min_size=9, max_size=9)


def test_new_receipts_are_valid_and_readable() -> None:
    for _ in range(200):
        receipt = new_receipt("CZ")
        assert len(receipt) == 15 and receipt[:3] == "CZ-"
        assert normalise_receipt(receipt) == receipt
        assert normalise_receipt(receipt.lower().replace("-", " ")) == receipt


@given(digits9, st.integers(0, 9), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(body: str, position: int, shift: int) -> None:
    number = body + str(check_digit(body))
    wrong = list(number)
    wrong[position] = str((int(wrong[position]) + shift) % 10)
    assert normalise_receipt(format_receipt("PR", "".join(wrong))) is None


@given(digits9, st.integers(0, 8))
def test_any_swap_of_neighbouring_digits_is_caught(body: str, position: int) -> None:
    number = list(body + str(check_digit(body)))
    if number[position] == number[position + 1]:
        return
    number[position], number[position + 1] = number[position + 1], number[position]
    assert normalise_receipt(format_receipt("PR", "".join(number))) is None


def test_nonsense_is_not_a_receipt() -> None:
    for text in ("", "CZ", "CZ-123", "12-345-678-9012", "CZ-123-456-789X", "€" * 50):
        assert normalise_receipt(text) is None


@given(st.text(max_size=300))
def test_every_field_kind_answers_any_text_without_raising(text: str) -> None:
    for form in FORMS.values():
        for item in form.all_fields():
            value, error = clean(item, text, TODAY)
            assert bool(value) != bool(error) or (not value and not error and not item.required)


def test_field_cleaning() -> None:
    postal = Field("p", "P", "postal")
    assert clean(postal, " k1a0b1 ", TODAY) == ("K1A 0B1", "")
    number = Field("n", "N", "integer", minimum=0, maximum=2000)
    assert clean(number, "1 200", TODAY) == ("1200", "")
    assert clean(Field("u", "U", "uci", required=False), "", TODAY) == ("", "")
    assert clean(Field("u", "U", "uci"), "00-1234-5678", TODAY) == ("0012345678", "")
    born = Field("d", "D", "date", minimum=18)
    assert clean(born, "2008-11-03", TODAY) == ("2008-11-03", "")  # 18 today
    assert clean(born, "2008-11-04", TODAY)[1]  # 18 tomorrow
    assert clean(Field("n", "N", "name"), "O'Brien-Lévesque", TODAY) == ("O'Brien-Lévesque", "")


def test_complete_answers_validate() -> None:
    assert validate_all(FORMS["pr_interest"], PR_ANSWERS, TODAY)[1] == {}
    _, errors = validate_all(FORMS["citizenship"], ABOUT_YOU, TODAY)
    assert set(errors) == {
        "days_present",
        "address",
        "city",
        "province",
        "postal_code",
        "taxes_filed",
        "language_evidence",
    }


def test_every_form_has_a_tracker_and_distinct_step_slugs() -> None:
    for kind, form in FORMS.items():
        assert STAGES[kind][0].key == "received"
        for language in ("en", "fr"):
            slugs = [s.slugs[language] for s in form.steps]
            assert len(slugs) == len(set(slugs))
            assert "files" not in slugs and "fichiers" not in slugs

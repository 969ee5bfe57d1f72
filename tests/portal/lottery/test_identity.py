"""Who a form is about: exact duplicates share a key, likely duplicates are paired for staff."""

from __future__ import annotations

from datetime import date

from northbound.portal.lottery import forms
from northbound.portal.lottery.identity import (
    Person,
    document_key,
    fold,
    identity_key,
    likely_duplicates,
)
from tests.portal.lottery.helpers import answers


def person(
    entry_id: int,
    given: str,
    family: str,
    born: str = "1970-01-01",
    email: str = "",
    address: str = "1 Main St",
    postal: str = "K1A 0A1",
) -> Person:
    return Person(
        entry_id, family, given, born, email or f"p{entry_id}@example.com", address, postal
    )


def test_identity_ignores_case_accents_punctuation_and_spaces() -> None:
    assert fold("  Marie-Ève O'Brien ") == "marie eve o brien"
    assert identity_key("O'Brien", "Marie-Ève", "1970-01-01") == identity_key(
        "OBRIEN".lower().replace("ob", "o b"), "MARIE EVE", "1970-01-01"
    )
    assert identity_key("Tremblay", "Marie", "1970-01-01") != identity_key(
        "Tremblay", "Marie", "1970-01-02"
    )
    assert document_key("pr-1234 5678") == document_key("PR12345678")
    assert document_key("PR12345678") != document_key("PR12345679")


def test_likely_duplicates_are_paired_with_a_reason() -> None:
    people = [
        person(1, "Marie Eve", "Tremblay"),
        person(2, "Marie-Eve", "Tremblay Roy"),  # one name contains the other
        person(3, "Jon", "Smith", "1980-05-05"),
        person(4, "John", "Smith", "1980-05-05"),  # names alike
        person(5, "Ana", "Lopez", "1990-02-02", address="9 Elm St", postal="M5V 2T6"),
        person(6, "Beatriz", "Ruiz", "1990-02-02", address="9 elm st.", postal="M5V 2T6"),
        person(7, "Wei", "Chen", "1985-03-03", email="shared@example.com"),
        person(8, "Li", "Wang", "1960-03-03", email="shared@example.com"),
        person(9, "Jon", "Smith", "1981-05-05"),  # another birth date: not flagged
        person(10, "Pat", "Green", "1970-01-01", address="2 Oak Ave"),  # only the birth date
    ]
    found = {(d.first_id, d.second_id): d.reason for d in likely_duplicates(people)}
    assert set(found) == {(1, 2), (3, 4), (5, 6), (7, 8)}
    assert "contains" in found[(1, 2)]
    assert "alike" in found[(3, 4)]
    assert "address" in found[(5, 6)]
    assert found[(7, 8)] == "Same email address"


def test_the_form_checks_what_only_it_asks() -> None:
    today = date(2026, 10, 13)
    values, errors = forms.check(answers(1), today)
    assert errors == {}
    assert values["status_document_number"] == "PR00000001"
    _, errors = forms.check(answers(1, person2_given_names="Paul"), today)
    assert set(errors) == {"person2_family_name", "person2_date_of_birth", "person2_relationship"}
    _, errors = forms.check(answers(1, person1_date_of_birth="2000-01-01"), today)
    assert errors == {"person1_date_of_birth": "A parent or grandparent was born before you."}
    _, errors = forms.check({name: "\x00" * 3 for name in forms.FIELD_NAMES}, today)
    assert "family_name" in errors and "email" in errors

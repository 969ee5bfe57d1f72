"""The interest-to-sponsor form: its fields and how a submission is checked.

Field kinds and messages are the applications package's (``applications.fields``), so the same
answer gets the same message on every form of the site. What only this form needs: an email
address, a status document number, and the people to be sponsored (the second one optional,
but all of their fields or none).
"""

from __future__ import annotations

from datetime import date

from northbound.portal.accounts.emails import normalise_email
from northbound.portal.applications.fields import Field
from northbound.portal.applications.forms import ADDRESS, YES, Step, identity, validate_step

STATUS_DOCUMENTS = (
    ("citizenship_certificate", "Canadian citizenship certificate"),
    ("passport", "Canadian passport"),
    ("pr_card", "Permanent resident card"),
    ("copr", "Confirmation of permanent residence"),
    ("status_card", "Secure certificate of Indian status"),
)
RELATIONSHIPS = (("parent", "Parent"), ("grandparent", "Grandparent"))

SPONSOR = (
    *identity("As shown on your status document.", "YYYY-MM-DD, for example 1980-04-23."),
    *ADDRESS,
    Field("email", "Email address", "text", max_length=254),
    Field(
        "status_document",
        "Document that shows your status in Canada",
        "select",
        choices=STATUS_DOCUMENTS,
    ),
    Field(
        "status_document_number",
        "Document number",
        "text",
        max_length=20,
        hint="Letters and digits as printed on the document.",
    ),
)


def _person(number: int, required: bool) -> tuple[Field, ...]:
    prefix = f"person{number}_"
    return (
        Field(
            prefix + "family_name",
            "Family name (surname)",
            "name",
            required=required,
            max_length=60,
        ),
        Field(prefix + "given_names", "Given names", "name", required=required, max_length=80),
        Field(
            prefix + "date_of_birth",
            "Date of birth",
            "date",
            required=required,
            max_length=10,
            hint="YYYY-MM-DD, for example 1950-07-01.",
        ),
        Field(
            prefix + "relationship",
            "Relationship to you",
            "select",
            required=required,
            choices=RELATIONSHIPS,
        ),
    )


PERSON_1 = _person(1, required=True)
PERSON_2 = _person(2, required=False)
DECLARATION = Field(
    "declaration",
    "The information I gave is true and complete, and this is my only form for this intake.",
    "confirm",
    choices=YES,
)
FORM = Step(
    "interest",
    {"en": "interest", "fr": "interet"},
    "Interest to sponsor",
    (*SPONSOR, *PERSON_1, *PERSON_2, DECLARATION),
)
FIELD_NAMES = tuple(f.name for f in FORM.fields)


def _document_number(raw: str) -> str | None:
    compact = raw.replace(" ", "").replace("-", "").upper()
    if not (compact.isascii() and compact.isalnum()) or not 5 <= len(compact) <= 20:
        return None
    return compact


def check(submitted: dict[str, str], today: date) -> tuple[dict[str, str], dict[str, str]]:
    """Clean a submission: (values, errors), each error keyed by its field's name."""
    values, errors = validate_step(FORM, submitted, today)
    if "email" not in errors and "email" in values:
        email = normalise_email(values["email"])
        if email is None:
            errors["email"] = "Enter an email address in the form name@example.com."
        else:
            values["email"] = email
    number = values.get("status_document_number")
    if number is not None and "status_document_number" not in errors:
        compact = _document_number(number)
        if compact is None:
            errors["status_document_number"] = "Use 5 to 20 letters and digits."
        else:
            values["status_document_number"] = compact
    second = [f.name for f in PERSON_2]
    if any(values.get(name) for name in second):
        for name in second:
            if not values.get(name) and name not in errors:
                errors[name] = "Fill in every field for the second person, or none of them."
    sponsor_born = values.get("date_of_birth")
    for person in (1, 2):
        key = f"person{person}_date_of_birth"
        born = values.get(key)
        if born and sponsor_born and born >= sponsor_born and key not in errors:
            errors[key] = "A parent or grandparent was born before you."
    return values, errors

"""Form fields and how each kind of answer is checked.

Messages are English source strings; pages translate them. Every check returns either the
cleaned value or an error, never raises, so any input (huge, empty, binary) gets a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")
POSTAL_CODE = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]) ?(\d[ABCEGHJ-NPRSTV-Z]\d)$")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, name, date, integer, select, postal, phone, uci, confirm
    required: bool = True
    max_length: int = 100
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    hint: str = ""
    below_minimum: str = ""  # a specific message when an integer is under the minimum


def answer_label(field: Field, value: str) -> str:
    """How a stored answer reads: a choice's label ("Quebec" for ``QC``), else the answer."""
    if field.kind in ("select", "confirm"):
        return next((label for code, label in field.choices if code == value), value)
    return value


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text)


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def clean(field: Field, raw: str, today: date) -> tuple[str, str]:
    """Return (value, error); exactly one of them is meaningful."""
    value = raw.strip()
    if not value:
        return "", ("This information is required." if field.required else "")
    if len(value) > max(field.max_length, 20) or _has_control(value):
        return "", "This answer is too long or contains special characters."
    match field.kind:
        case "name":
            if not NAME_CHARS.match(value):
                return "", "Use letters, spaces, hyphens and apostrophes only."
        case "text":
            pass
        case "date":
            return _clean_date(field, value, today)
        case "integer":
            return _clean_integer(field, value)
        case "select" | "confirm":
            if value not in {choice for choice, _ in field.choices}:
                return "", "Choose one of the options."
        case "postal":
            match = POSTAL_CODE.match(value.upper())
            if not match:
                return "", "Enter a postal code in the form A1A 1A1."
            return f"{match.group(1)} {match.group(2)}", ""
        case "phone":
            if not PHONE.match(value) or sum(c.isdigit() for c in value) < 7:
                return "", "Enter a phone number using digits, for example 613-555-0100."
        case "uci":
            digits = value.replace("-", "").replace(" ", "")
            if not (digits.isascii() and digits.isdigit()) or len(digits) not in (8, 10):
                return "", "A client ID has 8 or 10 digits."
            return digits, ""
    return value, ""


def _clean_date(field: Field, value: str, today: date) -> tuple[str, str]:
    try:
        born = date.fromisoformat(value)
    except ValueError:
        return "", "Enter a real date as YYYY-MM-DD, for example 1990-04-23."
    if len(value) != 10:
        return "", "Enter a real date as YYYY-MM-DD, for example 1990-04-23."
    if born > today:
        return "", "The date must be in the past."
    age = _age_on(born, today)
    if age > 120:
        return "", "Check the year: this date is more than 120 years ago."
    if field.minimum is not None and age < field.minimum:
        return "", (
            "You must be 18 or older to use this form."
            if field.minimum == 18
            else "You are too young to use this form."
        )
    return born.isoformat(), ""


def _clean_integer(field: Field, value: str) -> tuple[str, str]:
    # digits grouped as either language writes them: 1,095, 1 095 (any kind of space)
    compact = "".join(c for c in value if c != "," and not c.isspace())
    if not (compact.isascii() and compact.isdigit()) or len(compact) > 6:
        return "", "Enter a whole number, using digits only."
    number = int(compact)
    if field.minimum is not None and number < field.minimum:
        return "", field.below_minimum or "The number is too small."
    if field.maximum is not None and number > field.maximum:
        return "", "The number is too large."
    return str(number), ""

"""HTML form fields <-> API request payloads, and form errors in the visitor's language.

Form field names are the API's JSON paths joined by ``__`` (``first_language__speaking``,
``absences__0__return``), so one pydantic model validates both and an error's ``loc`` names
the form field directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from northbound.portal.eligibility.text import N_, Problem

FormValues = dict[str, str]
Translate = Callable[[str], str]
SEP: Final = "__"
ABILITIES: Final = ("speaking", "listening", "reading", "writing")
SPOUSE_STATUSES: Final = ("married", "common_law")

LANGUAGE_PREFIXES: Final = ("first_language", "second_language", "spouse__language")


def field_name(loc: Sequence[str | int]) -> str:
    return SEP.join(str(part) for part in loc)


def _text(form: Mapping[str, str], name: str) -> str:
    return form.get(name, "").strip()


def _put(
    payload: dict[str, Any], form: Mapping[str, str], name: str, key: str | None = None
) -> None:
    """Copy a non-blank value; a blank one is left out, so pydantic says it is missing."""
    value = _text(form, name)
    if value:
        payload[key or name.rsplit(SEP, 1)[-1]] = value


def _flag(form: Mapping[str, str], name: str) -> bool:
    return name in form and form[name] not in ("", "no", "false")


def language_payload(form: Mapping[str, str], prefix: str, required: bool) -> dict[str, Any] | None:
    """A language result, or None when an optional one has no test chosen."""
    if not required and not _text(form, f"{prefix}{SEP}test"):
        return None
    result: dict[str, Any] = {}
    _put(result, form, f"{prefix}{SEP}test")
    for ability in ABILITIES:
        score = decimal_point(_text(form, f"{prefix}{SEP}{ability}"))
        if score:
            result[ability] = score
    return result


def decimal_point(text: str) -> str:
    """A score as typed, with a decimal comma read as a point: French writes 6,5 for 6.5.

    Only a lone comma between digits is a decimal separator; anything else is left for the
    score check to refuse with its own message.
    """
    whole, comma, fraction = text.partition(",")
    if comma and whole.isdigit() and fraction.isdigit():
        return f"{whole}.{fraction}"
    return text


def crs_payload(form: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name in (
        "age",
        "education",
        "canadian_education",
        "canadian_work_years",
        "foreign_work_years",
    ):
        _put(payload, form, name)
    payload["first_language"] = language_payload(form, "first_language", required=True)
    payload["second_language"] = language_payload(form, "second_language", required=False)
    for name in ("certificate_of_qualification", "provincial_nomination", "sibling_in_canada"):
        payload[name] = _flag(form, name)
    if _text(form, "marital_status") in SPOUSE_STATUSES:
        spouse: dict[str, Any] = {
            "accompanying": _flag(form, "spouse__accompanying"),
            "canadian_citizen_or_pr": _flag(form, "spouse__canadian_citizen_or_pr"),
        }
        _put(spouse, form, "spouse__education")
        _put(spouse, form, "spouse__canadian_work_years")
        spouse["language"] = language_payload(form, "spouse__language", required=False)
        payload["spouse"] = spouse
    return payload


def fsw_payload(form: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name in ("age", "education", "skilled_work_years"):
        _put(payload, form, name)
    payload["first_language"] = language_payload(form, "first_language", required=True)
    payload["second_language"] = language_payload(form, "second_language", required=False)
    payload["arranged_employment"] = _flag(form, "arranged_employment")
    payload["adaptability"] = {
        key: _flag(form, f"adaptability{SEP}{key}")
        for key in (
            "spouse_language_clb4",
            "own_study_in_canada",
            "spouse_study_in_canada",
            "own_work_in_canada",
            "spouse_work_in_canada",
            "relative_in_canada",
        )
    }
    return payload


PRESENCE_LISTS: Final[dict[str, tuple[str, str]]] = {
    "temporary_periods": ("start", "end"),
    "absences": ("departure", "return"),
    "sentence_periods": ("start", "end"),
}
MAX_ROWS: Final = 60


def row_count(form: Mapping[str, str], list_name: str) -> int:
    """How many rows of a list the form carries (the highest index seen, plus one)."""
    highest = -1
    prefix = f"{list_name}{SEP}"
    for key in form:
        if key.startswith(prefix):
            index = key[len(prefix) :].split(SEP, 1)[0]
            if index.isdigit() and int(index) < MAX_ROWS:
                highest = max(highest, int(index))
    return highest + 1


def presence_payload(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The payload, and for each list which form row each payload item came from.

    Rows left entirely blank are skipped, so a form can offer spare rows.
    """
    payload: dict[str, Any] = {}
    _put(payload, form, "application_date")
    _put(payload, form, "pr_date")
    rows: dict[str, list[int]] = {}
    for list_name, (first, second) in PRESENCE_LISTS.items():
        items: list[dict[str, str]] = []
        rows[list_name] = []
        for i in range(row_count(form, list_name)):
            item: dict[str, str] = {}
            _put(item, form, f"{list_name}{SEP}{i}{SEP}{first}")
            _put(item, form, f"{list_name}{SEP}{i}{SEP}{second}")
            if item:
                items.append(item)
                rows[list_name].append(i)
        payload[list_name] = items
    return payload, rows


# Messages for pydantic's error types, by type; the context fills the placeholders.
_TYPE_MESSAGES: Final[dict[str, str]] = {
    "missing": N_("Enter this information."),
    "int_parsing": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "greater_than_equal": N_("Enter a number of at least %(ge)s."),
    "less_than_equal": N_("Enter a number no greater than %(le)s."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
    "too_long": N_("There are too many rows."),
}
_FALLBACK: Final = N_("This answer is not valid.")


def error_message(error: Mapping[str, Any], translate: Translate) -> str:
    """One pydantic error in the visitor's language."""
    ctx = dict(error.get("ctx") or {})
    msgid = ctx.pop("msgid", None)
    if not isinstance(msgid, str):
        msgid = _TYPE_MESSAGES.get(str(error.get("type")), _FALLBACK)
    try:
        return translate(msgid) % {k: str(v) for k, v in ctx.items()} if ctx else translate(msgid)
    except (KeyError, ValueError, TypeError):
        return translate(msgid)


def validate(
    model: type[BaseModel],
    payload: Mapping[str, Any],
    translate: Translate,
    loc_to_field: Callable[[tuple[str | int, ...]], str] = lambda loc: field_name(loc),
) -> tuple[BaseModel | None, dict[str, str]]:
    """The model, or form errors keyed by field name (first error per field)."""
    try:
        return model.model_validate(payload), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            errors.setdefault(loc_to_field(tuple(err["loc"])), error_message(err, translate))
        return None, errors


def problem_errors(
    problems: Sequence[Problem],
    translate: Translate,
    loc_to_field: Callable[[tuple[str | int, ...]], str] = lambda loc: field_name(loc),
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for p in problems:
        errors.setdefault(loc_to_field(p.path), p.message.render(translate))
    return errors

"""HTML pages of the eligibility tools, in English and French: the index and the calculators
(``pages``); the questionnaire's pages are in ``questionnaire_pages.py``.

Every form works without JavaScript: it posts back to its own address and the answer (or
each error next to its field, with status 422) comes back in the page's language. The
calculators store nothing; the questionnaire keeps answers in a signed cookie and hands out
a signed reference code that pre-fills the CRS calculator for 60 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from northbound.keys import verify_with_any
from northbound.portal.eligibility import page_fields as pf
from northbound.portal.eligibility import page_parts
from northbound.portal.eligibility.api_models import CrsRequest, FswRequest
from northbound.portal.eligibility.crs import compute_crs
from northbound.portal.eligibility.crs_profile import profile_problems
from northbound.portal.eligibility.forms import (
    PRESENCE_LISTS,
    crs_payload,
    field_name,
    fsw_payload,
    presence_payload,
    problem_errors,
    row_count,
    validate,
)
from northbound.portal.eligibility.fsw import compute_fsw
from northbound.portal.eligibility.page_parts import PATHS, TITLES, form_values, render
from northbound.portal.eligibility.physical_presence import compute_presence, presence_problems
from northbound.portal.eligibility.presence_models import PresenceRequest
from northbound.portal.eligibility.reference import InvalidReference, read_code
from northbound.settings import Language
from northbound.web.bilingual import BilingualRouter, PageLanguage
from northbound.web.i18n import translations
from northbound.web.language import other

pages: Final = BilingualRouter({name: PATHS[name] for name in ("index", "crs", "fsw", "presence")})
DEFAULT_ROWS: Final[dict[str, int]] = {"temporary_periods": 2, "absences": 4, "sentence_periods": 1}
EXTRA_ROWS: Final = 3


# --- index -----------------------------------------------------------------------------


@pages.page("index", ["GET"])
async def _index(request: Request, language: PageLanguage) -> HTMLResponse:
    return render(request, language, "index.html", "index", titles=TITLES)


# --- CRS -------------------------------------------------------------------------------


def _crs_result(values: Mapping[str, str], language: Language) -> tuple[Any, dict[str, str]]:
    gettext = translations(language).gettext
    model, errors = validate(CrsRequest, crs_payload(values), gettext)
    if model is None:
        return None, errors
    assert isinstance(model, CrsRequest)
    profile = model.to_profile()
    errors = problem_errors(profile_problems(profile), gettext)
    return (None, errors) if errors else (compute_crs(profile), {})


@pages.page("crs", ["GET"])
async def _crs_get(request: Request, language: PageLanguage) -> HTMLResponse:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    code = request.query_params.get("code", "")
    if code:
        try:
            # codes issued before a key rotation still read (previous secrets verify)
            values = verify_with_any(
                request.app.state.settings.verifying_secrets,
                lambda secret: read_code(code, secret, page_parts.today()),
                InvalidReference,
            )
        except InvalidReference:
            errors["code"] = translations(language).gettext(
                "This reference code is not valid or has expired (codes last 60 days)."
            )
    result = None
    if values:
        result, _ = _crs_result(values, language)
    twin = PATHS["crs"][other(language)] + (f"?code={code}" if values else "")
    return render(
        request,
        language,
        "crs.html",
        "crs",
        status=400 if errors else 200,
        twin_href=twin,
        items=pf.CRS_FORM,
        values=values,
        errors=errors,
        result=result,
    )


@pages.page("crs", ["POST"])
async def _crs_post(request: Request, language: PageLanguage) -> HTMLResponse:
    values = await form_values(request)
    result, errors = _crs_result(values, language)
    return render(
        request,
        language,
        "crs.html",
        "crs",
        status=422 if errors else 200,
        items=pf.CRS_FORM,
        values=values,
        errors=errors,
        result=result,
    )


# --- FSW -------------------------------------------------------------------------------


@pages.page("fsw", ["GET", "POST"])
async def _fsw_page(request: Request, language: PageLanguage) -> HTMLResponse:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    result = None
    if request.method == "POST":
        values = await form_values(request)
        model, errors = validate(FswRequest, fsw_payload(values), translations(language).gettext)
        if isinstance(model, FswRequest):
            result = compute_fsw(model.to_profile())
    return render(
        request,
        language,
        "fsw.html",
        "fsw",
        status=422 if errors else 200,
        items=pf.FSW_FORM,
        values=values,
        errors=errors,
        result=result,
    )


# --- physical presence -----------------------------------------------------------------


def _presence_rows(values: Mapping[str, str], more: str) -> dict[str, int]:
    rows = {}
    for name, default in DEFAULT_ROWS.items():
        rows[name] = max(default, row_count(values, name))
        if more == name:
            rows[name] += EXTRA_ROWS
    return rows


@pages.page("presence", ["GET", "POST"])
async def _presence_page(request: Request, language: PageLanguage) -> HTMLResponse:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    result = None
    more = ""
    if request.method == "POST":
        values = await form_values(request)
        more = values.get("more", "")
        if more not in PRESENCE_LISTS:
            more = ""
            errors, result = _presence_compute(values, language)
    return render(
        request,
        language,
        "presence.html",
        "presence",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        result=result,
        rows=_presence_rows(values, more),
        lists=PRESENCE_LISTS,
    )


def _presence_compute(values: Mapping[str, str], language: Language) -> tuple[dict[str, str], Any]:
    gettext = translations(language).gettext
    payload, rows = presence_payload(values)

    def to_field(loc: tuple[str | int, ...]) -> str:
        # Items skip blank rows: map an item's index back to its row on the form.
        if len(loc) >= 2 and loc[0] in rows and isinstance(loc[1], int):
            row_numbers = rows[str(loc[0])]
            if loc[1] < len(row_numbers):
                loc = (loc[0], row_numbers[loc[1]], *loc[2:])
        return field_name(loc)

    model, errors = validate(PresenceRequest, payload, gettext, to_field)
    if not isinstance(model, PresenceRequest):
        return errors, None
    presence = model.to_input()
    errors = problem_errors(presence_problems(presence), gettext, to_field)
    return (errors, None) if errors else ({}, compute_presence(presence))

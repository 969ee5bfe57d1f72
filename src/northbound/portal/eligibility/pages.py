"""HTML pages of the eligibility tools, in English and French: ``page_router``.

Every form works without JavaScript: it posts back to its own address and the answer (or
each error next to its field, with status 422) comes back in the page's language. The
calculators store nothing; the questionnaire keeps answers in a signed cookie and hands out
a signed reference code that pre-fills the CRS calculator for 60 days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Any, Final

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from northbound.keys import verify_with_any
from northbound.portal.eligibility import page_fields as pf
from northbound.portal.eligibility import questionnaire as q
from northbound.portal.eligibility.api_models import (
    CrsRequest,
    FswRequest,
    ProgramsRequest,
)
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
from northbound.portal.eligibility.matcher import PROGRAM_NAMES, match_programs
from northbound.portal.eligibility.physical_presence import compute_presence, presence_problems
from northbound.portal.eligibility.presence_models import PresenceRequest
from northbound.portal.eligibility.reference import InvalidReference, make_code, read_code
from northbound.portal.eligibility.text import N_
from northbound.settings import LANGUAGES, Language
from northbound.web.bilingual import BilingualRouter, PageLanguage
from northbound.web.i18n import translations, write_number
from northbound.web.language import other
from northbound.web.templating import Crumb

PATHS: Final[dict[str, dict[Language, str]]] = {
    "index": {"en": "/en/eligibility/", "fr": "/fr/admissibilite/"},
    "crs": {"en": "/en/eligibility/crs-calculator", "fr": "/fr/admissibilite/calculateur-scg"},
    "fsw": {
        "en": "/en/eligibility/federal-skilled-worker-points",
        "fr": "/fr/admissibilite/grille-travailleurs-qualifies",
    },
    "presence": {
        "en": "/en/eligibility/physical-presence",
        "fr": "/fr/admissibilite/presence-effective",
    },
    "finder": {"en": "/en/eligibility/find-out", "fr": "/fr/admissibilite/decouvrez"},
}
pages: Final = BilingualRouter(
    {**PATHS, "finder_step": {lang: PATHS["finder"][lang] + "/{slug}" for lang in LANGUAGES}}
)
page_router: Final = pages.router
RESULTS_SLUG: Final[dict[Language, str]] = {"en": "results", "fr": "resultats"}
TITLES: Final[dict[str, str]] = {
    "index": N_("Eligibility tools"),
    "crs": N_("Comprehensive Ranking System (CRS) calculator"),
    "fsw": N_("Federal Skilled Worker points grid"),
    "presence": N_("Citizenship physical presence calculator"),
    "finder": N_("Find out if you can immigrate"),
}
NO_STORE: Final = {"cache-control": "no-store"}
DEFAULT_ROWS: Final[dict[str, int]] = {"temporary_periods": 2, "absences": 4, "sentence_periods": 1}
EXTRA_ROWS: Final = 3

# The clock for reference codes; tests replace it to check expiry.
today: Callable[[], date] = date.today


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


def _render(
    request: Request,
    language: Language,
    template: str,
    page: str,
    *,
    status: int = 200,
    twin_href: str | None = None,
    title: str | None = None,
    **context: Any,
) -> HTMLResponse:
    gettext = translations(language).gettext
    crumbs = [Crumb(gettext("Home"), f"/{language}/")]
    if page != "index":
        crumbs.append(Crumb(gettext(TITLES["index"]), PATHS["index"][language]))
    html = request.app.state.templates.render(
        language,
        f"eligibility/{template}",
        title=title or gettext(TITLES[page]),
        twin_href=twin_href or PATHS[page][other(language)],
        breadcrumbs=crumbs,
        paths={name: by_lang[language] for name, by_lang in PATHS.items()},
        value_labels=pf.VALUE_LABELS,
        say=lambda message: message.render(gettext, partial(write_number, language)),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- index -----------------------------------------------------------------------------


@pages.page("index", ["GET"])
async def _index(request: Request, language: PageLanguage) -> HTMLResponse:
    return _render(request, language, "index.html", "index", titles=TITLES)


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
                lambda secret: read_code(code, secret, today()),
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
    return _render(
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
    values = await _form(request)
    result, errors = _crs_result(values, language)
    return _render(
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
        values = await _form(request)
        model, errors = validate(FswRequest, fsw_payload(values), translations(language).gettext)
        if isinstance(model, FswRequest):
            result = compute_fsw(model.to_profile())
    return _render(
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
        values = await _form(request)
        more = values.get("more", "")
        if more not in PRESENCE_LISTS:
            more = ""
            errors, result = _presence_compute(values, language)
    return _render(
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


# --- questionnaire ---------------------------------------------------------------------


def _step_path(language: Language, index: int) -> str:
    return f"{PATHS['finder'][language]}/{q.STEPS[index].slug(language)}"


def _results_path(language: Language) -> str:
    return f"{PATHS['finder'][language]}/{RESULTS_SLUG[language]}"


def _cookie(request: Request) -> q.AnswerCookie:
    return q.AnswerCookie(_secret(request))


def _redirect_with(request: Request, location: str, answers: Mapping[str, str]) -> Response:
    response = RedirectResponse(location, status_code=303, headers=NO_STORE)
    response.set_cookie(
        q.COOKIE_NAME,
        _cookie(request).dump(answers),
        max_age=q.COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@pages.page("finder", ["GET"])
async def _finder_start(request: Request, language: PageLanguage) -> HTMLResponse:
    return _render(
        request, language, "finder_start.html", "finder", first_step=_step_path(language, 0)
    )


def _step_errors(step: q.Step, answers: Mapping[str, str], language: Language) -> dict[str, str]:
    """Errors about this step's fields only, from validating every answer so far."""
    gettext = translations(language).gettext
    model, errors = validate(ProgramsRequest, q.programs_payload(answers), gettext, q.field_of)
    if isinstance(model, ProgramsRequest):
        errors = problem_errors(profile_problems(model.to_answers().profile), gettext)
    return {name: message for name, message in errors.items() if name in step.field_names}


@pages.page("finder_step", ["GET", "POST"])
async def _step_page(request: Request, language: PageLanguage, slug: str) -> Response:
    if slug == RESULTS_SLUG[language]:
        return await _results_page(request, language)
    index = q.find_step(slug, language)
    if index is None:
        raise HTTPException(status_code=404)
    step = q.STEPS[index]
    answers = _cookie(request).load(request.cookies.get(q.COOKIE_NAME))
    errors: dict[str, str] = {}
    values = answers
    if request.method == "POST":
        form = await _form(request)
        answers = q.merge_step(answers, step, form)
        if form.get("nav") == "back":
            previous = q.next_index(index, answers, -1)
            target = (
                _step_path(language, previous)
                if previous is not None
                else PATHS["finder"][language]
            )
            return _redirect_with(request, target, answers)
        errors = _step_errors(step, answers, language)
        if not errors:
            following = q.next_index(index, answers, +1)
            target = (
                _step_path(language, following)
                if following is not None
                else _results_path(language)
            )
            return _redirect_with(request, target, answers)
        values = answers
    previous = q.next_index(index, answers, -1)
    return _render(
        request,
        language,
        "step.html",
        "finder",
        status=422 if errors else 200,
        title=translations(language).gettext(step.title),
        twin_href=_step_path(other(language), index),
        step=step,
        step_number=index + 1,
        step_count=len(q.STEPS),
        items=step.items,
        values=values,
        errors=errors,
        action=_step_path(language, index),
        back_href=_step_path(language, previous)
        if previous is not None
        else PATHS["finder"][language],
    )


async def _results_page(request: Request, language: Language) -> Response:
    gettext = translations(language).gettext
    answers = _cookie(request).load(request.cookies.get(q.COOKIE_NAME))
    model, errors = validate(ProgramsRequest, q.programs_payload(answers), gettext, q.field_of)
    problems = {}
    if isinstance(model, ProgramsRequest):
        problems = problem_errors(profile_problems(model.to_answers().profile), gettext)
    if not isinstance(model, ProgramsRequest) or problems:
        # Send the visitor to the first step that still needs an answer.
        missing = {**errors, **problems}
        for index, step in enumerate(q.STEPS):
            if q.applies(step, answers) and any(n in missing for n in step.field_names):
                return RedirectResponse(
                    _step_path(language, index), status_code=303, headers=NO_STORE
                )
        return RedirectResponse(_step_path(language, 0), status_code=303, headers=NO_STORE)
    result = match_programs(model.to_answers())
    code = make_code(answers, _secret(request), today())
    return _render(
        request,
        language,
        "results.html",
        "finder",
        title=gettext("Programs you may qualify for"),
        twin_href=_results_path(other(language)),
        result=result,
        program_names=PROGRAM_NAMES,
        code=code,
        crs_link=f"{PATHS['crs'][language]}?code={code}",
        back_href=_step_path(language, q.next_index(len(q.STEPS), answers, -1) or 0),
    )

"""The questionnaire's pages ("Find out if you can immigrate"): its start, one page per
step, and the programs the answers may qualify for, with a reference code that pre-fills the
CRS calculator. Apart from the calculators (``pages.py``): a flow of several pages whose
answers travel between them in a signed cookie, where each calculator is one form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from northbound.portal.eligibility import page_parts
from northbound.portal.eligibility import questionnaire as q
from northbound.portal.eligibility.api_models import ProgramsRequest
from northbound.portal.eligibility.crs_profile import profile_problems
from northbound.portal.eligibility.forms import problem_errors, validate
from northbound.portal.eligibility.matcher import PROGRAM_NAMES, match_programs
from northbound.portal.eligibility.page_parts import NO_STORE, PATHS, form_values, render, secret
from northbound.portal.eligibility.reference import make_code
from northbound.settings import LANGUAGES, Language
from northbound.web.bilingual import BilingualRouter, PageLanguage
from northbound.web.i18n import translations
from northbound.web.language import other

pages: Final = BilingualRouter(
    {
        "finder": PATHS["finder"],
        "finder_step": {lang: PATHS["finder"][lang] + "/{slug}" for lang in LANGUAGES},
    }
)
RESULTS_SLUG: Final[dict[Language, str]] = {"en": "results", "fr": "resultats"}


def _step_path(language: Language, index: int) -> str:
    return f"{PATHS['finder'][language]}/{q.STEPS[index].slug(language)}"


def _results_path(language: Language) -> str:
    return f"{PATHS['finder'][language]}/{RESULTS_SLUG[language]}"


def _cookie(request: Request) -> q.AnswerCookie:
    return q.AnswerCookie(secret(request))


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
    return render(
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
        form = await form_values(request)
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
    return render(
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
    code = make_code(answers, secret(request), page_parts.today())
    return render(
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

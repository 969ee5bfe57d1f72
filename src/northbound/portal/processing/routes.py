"""The processing-times tool (HTML, both languages, no JavaScript needed) and its JSON twin.

Estimates come from the in-memory :class:`EstimateBook`; only a signed-in person asking about
one of the portal's own queues costs a query (how many applications are ahead of theirs).
Query parameters are read by hand so that a hand-edited address gets the page with its error
next to the field (400), never a framework 422.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.visitor import current_visitor, finish
from northbound.portal.processing import service
from northbound.portal.processing.catalogue import (
    BY_CODE,
    LOCALES,
    TYPES,
    ApplicationType,
    countries,
    country_codes,
    country_name,
)
from northbound.portal.processing.estimates import Estimate, EstimateBook
from northbound.settings import Language
from northbound.storage.database import Database
from northbound.web.bilingual import BilingualRouter, PageLanguage
from northbound.web.i18n import gettext
from northbound.web.problems import problem
from northbound.web.templating import SITE_LINKS, Crumb, Templates

TOOL_PATHS: dict[Language, str] = {
    "en": "/en/check-processing-times",
    "fr": "/fr/verifier-delais-de-traitement",
}
# no database check before the page: it is read from memory (see the module docstring)
pages = BilingualRouter({"tool": TOOL_PATHS})
API_PATH = "/api/v1/processing-times"
NO_STORE = {"cache-control": "no-store"}

router = pages.router
api_router = APIRouter(prefix="/api/v1", tags=["processing times"])


def estimate_book(request: Request) -> EstimateBook:
    book: EstimateBook = request.app.state.processing
    return book


def _choice(request: Request, name: str) -> str:
    # Codes are short ASCII; anything longer is not one of ours, whatever it holds.
    return request.query_params.get(name, "").strip()[:40]


def read_question(
    type_code: str, country: str
) -> tuple[ApplicationType | None, str, dict[str, str]]:
    """The type and country asked about, and an error per field for what cannot be used."""
    errors: dict[str, str] = {}
    kind = BY_CODE.get(type_code)
    if kind is None:
        errors["type"] = "Choose the type of application from the list."
    country = country.upper()
    if country and country not in country_codes():
        errors["country"] = "Choose the country from the list."
    elif kind is not None and kind.by_country and not country:
        errors["country"] = "Choose the country you are applying from: this estimate depends on it."
    if kind is not None and not kind.by_country:
        country = ""  # one estimate everywhere: a country sent along changes nothing
    return kind, country, errors


@pages.page("tool", ["GET", "HEAD"])
async def tool_page(request: Request, language: PageLanguage) -> Response:
    type_code, raw_country = _choice(request, "type"), _choice(request, "country")
    asked = bool(type_code or raw_country)
    kind, country, errors = read_question(type_code, raw_country) if asked else (None, "", {})
    estimate = places = None
    signed_in = False
    visitor = None
    if kind is not None and not errors:
        estimate = estimate_book(request).lookup(kind.code, country)
        if kind.queue is not None:
            visitor = await current_visitor(request)
            if visitor.user is not None:
                signed_in = True
                db: Database = request.app.state.db
                places = await service.places_of(db, visitor.user.id, kind.queue)
    query = {
        name: value for name, value in (("type", type_code), ("country", raw_country)) if value
    }
    twin = pages.twin(request) + (f"?{urlencode(query)}" if query else "")
    templates: Templates = request.app.state.templates
    body = templates.render(
        language,
        "processing/tool.html",
        title=gettext(language, "Check processing times"),
        twin_href=twin,
        breadcrumbs=[
            Crumb(gettext(language, "Home"), f"/{language}/"),
            Crumb(gettext(language, "Processing times"), SITE_LINKS[language]["processing"]),
        ],
        types=[(t.code, gettext(language, t.title)) for t in TYPES],
        by_country=[t.code for t in TYPES if t.by_country],
        countries=countries(language),
        values={"type": type_code, "country": country or raw_country.upper()},
        errors=errors,
        kind=kind if not errors else None,
        kind_title=gettext(language, kind.title) if kind is not None else "",
        country_name=country_name(country, language) if country else "",
        estimate=estimate,
        wording=_wording(estimate, language),
        places=places,
        signed_in=signed_in,
        sign_in_href=ACCOUNT_PATHS["sign_in"][language]
        + "?"
        + urlencode({"next": TOOL_PATHS[language] + (f"?{urlencode(query)}" if query else "")}),
        info_href=SITE_LINKS[language]["processing"],
        format_day=lambda day: format_date(day, "long", locale=LOCALES[language]),
    )
    response = HTMLResponse(body, status_code=400 if errors else 200, headers=NO_STORE)
    return finish(request, response, visitor) if visitor is not None else response


def _wording(estimate: Estimate | None, language: Language) -> str:
    """The estimate as a person reads it: in days, with months alongside past two months."""
    if estimate is None:
        return ""
    days = gettext(language, "%(num)d days" if estimate.days != 1 else "%(num)d day") % {
        "num": estimate.days
    }
    if estimate.days < 60:
        return days
    months = round(estimate.days / 30.44)
    return gettext(language, "%(days)s (about %(months)d months)") % {
        "days": days,
        "months": months,
    }


def _estimate_json(code: str, country: str, estimate: Estimate) -> dict[str, object]:
    return {
        "type": code,
        "country": country or None,
        "days": estimate.days,
        "source": estimate.source,
        "publishedOn": estimate.published_on.isoformat() if estimate.published_on else None,
        "decisions": estimate.decisions if estimate.source == "measured" else None,
    }


@api_router.get("/processing-times", summary="Every current processing-time estimate")
async def all_estimates(request: Request) -> JSONResponse:
    book = estimate_book(request)
    items = []
    for kind in TYPES:
        measured = book.lookup(kind.code) if not kind.by_country else None
        if measured is not None:
            items.append(_estimate_json(kind.code, "", measured))
            continue
        for (code, country), estimate in sorted(book.published().items()):
            if code == kind.code:
                items.append(_estimate_json(code, country, estimate))
    refreshed = book.refreshed_at.isoformat() if book.refreshed_at else None
    return JSONResponse({"estimates": items, "refreshedAt": refreshed}, headers=NO_STORE)


# The path's type is an enumeration in the schema, so an unknown one is refused by the
# framework (422 problem JSON) like every other schema violation; what the schema cannot say
# (this type needs a country, that code is no country) is a 422 of ours.
TypeCode = Enum("TypeCode", {kind.code: kind.code for kind in TYPES}, type=str)  # type: ignore[misc]


@api_router.get(
    "/processing-times/{type_code}",
    summary="The current estimate for one type of application",
    responses={
        404: {"description": "No estimate published yet"},
        422: {"description": "Unknown type, or the country is missing or unknown"},
    },
)
async def one_estimate(
    request: Request,
    type_code: TypeCode,
    country: Annotated[
        str, Query(pattern="^[A-Za-z]{2}$", description="ISO 3166 code, for types by country")
    ] = "",
) -> JSONResponse:
    kind, country, errors = read_question(str(type_code.value), country)
    if kind is None or errors:
        return problem(422, "Unprocessable request", " ".join(errors.values()))
    estimate = estimate_book(request).lookup(kind.code, country)
    if estimate is None:
        return problem(
            404, "Not found", "No estimate is published for this type of application yet."
        )
    return JSONResponse(_estimate_json(kind.code, country, estimate), headers=NO_STORE)

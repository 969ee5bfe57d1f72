"""What the eligibility pages share: their addresses and titles, the frame every page is
rendered in (crumbs, the twin in the other language, no caching), reading a posted form, and
the clock for reference codes. Apart so that the calculators (``pages.py``) and the
questionnaire (``questionnaire_pages.py``) each hold only their own pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from northbound.portal.eligibility import page_fields as pf
from northbound.portal.eligibility.text import N_
from northbound.settings import Language
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
TITLES: Final[dict[str, str]] = {
    "index": N_("Eligibility tools"),
    "crs": N_("Comprehensive Ranking System (CRS) calculator"),
    "fsw": N_("Federal Skilled Worker points grid"),
    "presence": N_("Citizenship physical presence calculator"),
    "finder": N_("Find out if you can immigrate"),
}
NO_STORE: Final = {"cache-control": "no-store"}

# The clock for reference codes; tests replace it to check expiry, so the pages call it as
# ``page_parts.today()`` (an import by name would keep the original).
today: Callable[[], date] = date.today


def secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


def render(
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


async def form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}

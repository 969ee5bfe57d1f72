"""Dynamic routes of the information section: search, and bare language prefixes.

The pages themselves never reach these routes: the fast path serves them from memory.
"""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from northbound.portal.content.site import ContentSite
from northbound.settings import Language
from northbound.web.bilingual import BilingualRouter, PageLanguage
from northbound.web.i18n import gettext

pages = BilingualRouter({"search": {"en": "/en/search", "fr": "/fr/recherche"}})
router = pages.router


def _search_page(request: Request, language: Language, q: str) -> HTMLResponse:
    site: ContentSite = request.app.state.content
    query = q.strip()
    error = ""
    if len(query) > 200:
        error, query = gettext(language, "Please use 200 characters or fewer."), query[:200]
    results = [] if error else site.search_index.search(language, query)
    twin = pages.twin(request) + (f"?q={request.query_params.get('q', '')[:200]}" if query else "")
    html = site.templates.render(
        language,
        "search.html",
        title=gettext(language, "Search results") if query else gettext(language, "Search"),
        twin_href=twin,
        breadcrumbs=site.breadcrumbs(language, "home"),
        query=query,
        results=results,
        error=error,
    )
    return HTMLResponse(
        html, status_code=400 if error else 200, headers={"cache-control": "no-store"}
    )


@pages.page("search", ["GET"])
async def search(
    request: Request, language: PageLanguage, q: str = Query("", max_length=10_000)
) -> HTMLResponse:
    return _search_page(request, language, q)


@router.get("/en")
@router.get("/fr")
async def language_root(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url.path + "/", status_code=308)

"""The bilingual router: one declaration, two addresses, each linking to the other."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from northbound.web.bilingual import BilingualRouter, PageLanguage, Twins

pages = BilingualRouter(
    {
        "item": {"en": "/en/items/{item_id}", "fr": "/fr/articles/{item_id}"},
        "list": {"en": "/en/items", "fr": "/fr/articles"},
    }
)


@pages.page("item", ["GET", "POST"])
async def item(request: Request, item_id: str, language: PageLanguage) -> Response:
    text = f"{language} {item_id} {pages.twin(request)} {pages.twin(request, 'list')}"
    return PlainTextResponse(f"{request.method} {text}")


def _client() -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(pages.router)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_one_declaration_serves_both_languages_with_their_twin() -> None:
    async with _client() as client:
        assert (await client.get("/en/items/7")).text == "GET en 7 /fr/articles/7 /fr/articles"
        assert (await client.post("/fr/articles/7")).text == "POST fr 7 /en/items/7 /en/items"
        assert (await client.get("/en/articles/7")).status_code == 404
        assert (await client.put("/en/items/7")).status_code == 405


def test_hrefs() -> None:
    assert pages.href("item", "fr", item_id=3) == "/fr/articles/3"
    assert pages.hrefs("en") == {"item": "/en/items/{item_id}", "list": "/en/items"}


def test_twins_know_every_page_the_site_serves(app: FastAPI) -> None:
    twins: Twins = app.state.twins
    application = "a" * 32
    assert twins.address("/en/account/applications/new", "fr") == "/fr/compte/demandes/nouvelle"
    assert (
        twins.address(f"/en/account/applications/{application}", "fr")
        == f"/fr/compte/demandes/{application}"
    )
    assert twins.address("/fr/recherche?q=permis%20de%20travail", "en") == (
        "/en/search?q=permis%20de%20travail"
    )
    assert twins.address("/fr/admissibilite/calculateur-scg", "en") == (
        "/en/eligibility/crs-calculator"
    )
    assert twins.address("/en/eligibility/", "fr") == "/fr/admissibilite/"
    assert twins.address("/en/contact-us", "fr").startswith("/fr/")
    assert twins.address("/en", "fr") == "/fr/" and twins.address("/fr/", "en") == "/en/"
    # already in that language, or not a page of ours: unchanged
    assert twins.address("/fr/compte/connexion", "fr") == "/fr/compte/connexion"
    assert twins.address("/en/no-such-page", "fr") == "/en/no-such-page"
    assert twins.address("/healthz", "fr") == "/healthz"

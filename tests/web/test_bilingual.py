"""The bilingual router: one declaration, two addresses, each linking to the other."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from northbound.web.bilingual import BilingualRouter, PageLanguage

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

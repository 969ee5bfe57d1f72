"""Every information page in both languages: served, labelled, linked to its twin."""

from __future__ import annotations

import re

import httpx
import pytest

from northbound.portal.content.loader import load_pages
from northbound.settings import LANGUAGES

PAGES = load_pages()
PATHS = sorted(page.path for page in PAGES.values())


def twin_link(html: str) -> str:
    match = re.search(r'<a class="lang-toggle" href="([^"]+)"', html)
    assert match, "no language toggle"
    return match.group(1)


@pytest.mark.parametrize("path", PATHS)
async def test_every_page_in_both_languages(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    html = response.text
    language = path.split("/")[1]
    assert f'<html lang="{language}">' in html
    assert html.count("<h1") == 1
    assert 'class="skip-link" href="#main"' in html and 'id="main"' in html
    assert 'class="breadcrumb"' in html
    twin = twin_link(html)
    other = "fr" if language == "en" else "en"
    assert twin.startswith(f"/{other}/")
    twin_response = await client.get(twin)
    assert twin_response.status_code == 200
    assert f'<html lang="{other}">' in twin_response.text
    assert twin_link(twin_response.text) == path  # and back again


@pytest.mark.parametrize("language", LANGUAGES)
async def test_internal_links_resolve(client: httpx.AsyncClient, language: str) -> None:
    """Links between information pages never lead to a 404."""
    known = set(PATHS)
    for page in PAGES.values():
        if page.language != language:
            continue
        for href in re.findall(r'href="(/(?:en|fr)/[^"#?]*)"', page.body_html):
            if href in known:
                continue
            # Links to tools and accounts are served by other packages; they must exist too.
            response = await client.get(href)
            assert response.status_code != 404 or not href.startswith(f"/{language}/"), (
                f"{page.path} links to missing {href}"
            )


async def test_french_slugs_are_french(client: httpx.AsyncClient) -> None:
    french = {page.slug for (language, _), page in PAGES.items() if language == "fr"}
    english = {page.slug for (language, _), page in PAGES.items() if language == "en"}
    assert "entree-express" in french or "entree-express" in {s.split("/")[-1] for s in french}
    assert len(french - english) >= len(french) - 1  # only the home slug ("") is shared


async def test_splash_page_offers_both_languages(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/en/"' in response.text and 'href="/fr/"' in response.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/de/", 404),
        ("/en/no-such-page", 404),
        ("/fr/aucune-page", 404),
        ("/en/../etc/passwd", 404),
        ("/en/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/en/express-entry/../../secret", 404),
        ("/en/" + "a" * 5000, 404),
        ("/en/express%00entry", 404),
        ("/static/../settings.py", 404),
        ("/en", 308),
        ("/fr", 308),
    ],
)
async def test_bad_paths_get_a_4xx_page(client: httpx.AsyncClient, path: str, status: int) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == status
    if status == 404:
        language = "fr" if path.startswith("/fr/") else "en"
        assert f'<html lang="{language}">' in response.text
        assert response.text.count("<h1") == 1


async def test_not_found_speaks_french_under_fr(client: httpx.AsyncClient) -> None:
    response = await client.get("/fr/aucune-page")
    assert "introuvable" in response.text.lower() or "trouver" in response.text.lower()


async def test_method_not_allowed_is_friendly(client: httpx.AsyncClient) -> None:
    response = await client.post("/en/search")
    assert response.status_code == 405
    assert "<h1" in response.text


async def test_api_errors_are_problem_details(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"]


async def test_absurd_headers_do_not_break_pages(client: httpx.AsyncClient) -> None:
    headers = {
        "accept-language": "xx;q=zz," * 500,
        "accept-encoding": "br;q=oops," * 300,
        "accept": "*/*;" * 400,
        "x-request-id": "not a valid id <>",
        "cookie": "a=" + "b" * 8000,
    }
    for path in ("/en/", "/fr/nope", "/en/search?q=visa"):
        response = await client.get(path, headers=headers)
        assert response.status_code in (200, 404)
        assert len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/en/search", "express entry", "/en/express-entry"),
        ("/en/search", "CITIZENSHIP", "/en/citizenship"),
        ("/fr/recherche", "citoyennete", "/fr/"),
        ("/fr/recherche", "parrainage", "/fr/"),
    ],
)
async def test_search_finds_pages(
    client: httpx.AsyncClient, path: str, query: str, expected: str
) -> None:
    response = await client.get(path, params={"q": query})
    assert response.status_code == 200
    assert f'href="{expected}' in response.text.split('class="search-results"', 1)[1]


async def test_search_bad_input(client: httpx.AsyncClient) -> None:
    too_long = await client.get("/en/search", params={"q": "x" * 500})
    assert too_long.status_code == 400
    assert "200 characters" in too_long.text
    nothing = await client.get("/fr/recherche", params={"q": "zzzzqqq"})
    assert nothing.status_code == 200
    assert "0 résultat" in nothing.text
    symbols = await client.get("/en/search", params={"q": "<script>%00'\""})
    assert symbols.status_code == 200
    assert "<script>%00" not in symbols.text


@pytest.mark.parametrize(
    ("page", "account", "sign_in"),
    [
        ("/en/", "/en/account/", "/en/account/sign-in"),
        ("/fr/", "/fr/compte/", "/fr/compte/connexion"),
    ],
)
async def test_header_account_link_suits_everyone(
    client: httpx.AsyncClient, page: str, account: str, sign_in: str
) -> None:
    """Cached pages are the same for everyone: the header offers the account, not "sign in"."""
    html = (await client.get(page)).text
    assert f'<a href="{account}">' in html
    visit = await client.get(account)
    assert visit.status_code in (302, 303) and visit.headers["location"].startswith(sign_in)

"""Every link an information page gives to another page of the site leads somewhere."""

from __future__ import annotations

import re

import httpx

from northbound.portal.content.loader import load_pages

HREF = re.compile(r'href="(/(?:en|fr)/[^"#]*)')


async def test_no_information_page_links_to_a_missing_page(client: httpx.AsyncClient) -> None:
    targets: dict[str, str] = {}
    for page in load_pages().values():
        html = (await client.get(page.path)).text
        for target in HREF.findall(html):
            targets.setdefault(target.replace("&amp;", "&"), page.path)
    assert len(targets) > 20
    broken = {}
    for target, source in sorted(targets.items()):
        status = (await client.get(target)).status_code
        if status >= 400:
            broken[target] = (source, status)
    assert broken == {}


async def test_every_trail_starts_at_home_by_that_name(client: httpx.AsyncClient) -> None:
    for path, home in (("/en/citizenship", "Home"), ("/fr/citoyennete", "Accueil")):
        html = (await client.get(path)).text
        trail = re.search(r'<nav class="breadcrumb".*?<a href="([^"]+)">([^<]+)</a>', html, re.S)
        assert trail is not None and trail.groups() == (path[:4], home)


async def test_every_page_names_its_icon_and_the_icon_is_served(client: httpx.AsyncClient) -> None:
    for path in ("/", "/en/", "/fr/aide"):
        html = (await client.get(path)).text
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
        assert icon is not None, path
        served = await client.get(icon.group(1))
        assert served.status_code == 200 and served.content.startswith(b"<svg")
        assert "immutable" in served.headers["cache-control"]

"""No page a person can reach is wider than a 390 px phone: a crawl from both home pages in
headless Chromium, following the site's own links (information pages, tools, search,
sign-in and sign-up, contact, processing times), each page measured as laid out."""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

PHONE = {"width": 390, "height": 844}
MAX_PAGES = 160  # bounded: the site has about a hundred public pages in the two languages
SKIP = ("/api/", "/metrics", "/healthz", "/waiting-room", "/staff", "/account/sign-out")


def _reachable(href: str, origin: str) -> str | None:
    """The path to visit for a link, or None when it leaves the site's public pages."""
    parts = urlsplit(urljoin(origin + "/", href))
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = parts.path
    if not path.startswith(("/en/", "/fr/")) or any(s in path for s in SKIP):
        return None
    if "." in path.rsplit("/", 1)[-1]:  # a file (a PDF, an image), not a page
        return None
    return path


def test_no_page_is_wider_than_a_phone(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport=PHONE)
    tab = context.new_page()
    # the search results are a form's answer, not a link: asked for directly
    start = ["/en/", "/fr/", "/en/search?q=work+permit", "/fr/recherche?q=permis+de+travail"]
    queue, seen = deque(start), set(start)
    too_wide: dict[str, int] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        response = tab.goto(live_server + path)
        visited += 1
        if response is None or response.status != 200:
            continue
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
        for href in tab.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            found = _reachable(href, live_server)
            if found is not None and found not in seen:
                seen.add(found)
                queue.append(found)
    context.close()
    assert visited >= 40, f"the crawl reached only {visited} pages: {sorted(seen)}"
    assert too_wide == {}

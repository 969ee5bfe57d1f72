"""Every information page in real headless Chromium, JavaScript on and off, checked by axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from northbound.portal.content.loader import load_pages

pytestmark = pytest.mark.browser
PATHS = sorted(page.path for page in load_pages().values())
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module", params=[True, False], ids=["js-on", "js-off"])
def page(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(java_script_enabled=request.param)
    tab = context.new_page()
    yield tab
    context.close()


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # axe-core is injected as a script; with JavaScript off in the page, Playwright's own
    # evaluation still runs (it is not page script), so the audit works in both modes.
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.mark.parametrize("path", PATHS)
def test_page_renders_and_is_accessible(page: Any, live_server: str, path: str) -> None:
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    language = path.split("/")[1]
    assert page.get_attribute("html", "lang") == language
    assert page.locator("h1").count() == 1
    assert page.locator("main#main").count() == 1
    # The twin link leads to a page in the other language.
    toggle = page.locator("a.lang-toggle")
    other = "fr" if language == "en" else "en"
    assert toggle.get_attribute("lang") == other
    assert axe_violations(page) == []


def test_skip_link_and_search_work_without_javascript(page: Any, live_server: str) -> None:
    page.goto(live_server + "/en/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    page.fill("#site-search", "citizenship")
    page.click(".search-form button")
    assert "/en/search" in page.url
    assert page.locator(".search-results a", has_text="itizenship").count() >= 1
    assert axe_violations(page) == []


def test_layout_at_phone_width(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    tab = context.new_page()
    tab.goto(live_server + "/fr/")
    scroll_width = tab.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, "the page scrolls sideways on a phone"
    context.close()

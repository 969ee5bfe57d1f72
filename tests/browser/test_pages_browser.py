"""Every information page in real headless Chromium, JavaScript on and off, checked by axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from northbound.portal.content.loader import load_pages
from tests.support.browser import violations

pytestmark = pytest.mark.browser
PATHS = sorted(page.path for page in load_pages().values())


@pytest.fixture(scope="module", params=[True, False], ids=["js-on", "js-off"])
def tab(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    """One tab with JavaScript on and one off for the whole module (tabs are slow to make)."""
    context = chromium.new_context(java_script_enabled=request.param)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize("path", PATHS)
def test_page_renders_and_is_accessible(
    tab: Any, auditor: Any, live_server: str, path: str
) -> None:
    response = tab.goto(live_server + path)
    assert response is not None and response.status == 200
    language = path.split("/")[1]
    assert tab.get_attribute("html", "lang") == language
    assert tab.locator("h1").count() == 1
    assert tab.locator("main#main").count() == 1
    assert tab.locator("script").count() == 0  # information pages need no JavaScript
    toggle = tab.locator("a.lang-toggle")
    assert toggle.get_attribute("lang") == ("fr" if language == "en" else "en")
    assert violations(tab, auditor, live_server) == []


def test_skip_link_and_search_work(tab: Any, auditor: Any, live_server: str) -> None:
    tab.goto(live_server + "/en/")
    tab.keyboard.press("Tab")
    assert "skip-link" in tab.evaluate("document.activeElement.className")
    tab.fill("#site-search", "citizenship")
    tab.click(".search-form button")
    assert "/en/search" in tab.url
    assert tab.locator(".search-results a", has_text="itizenship").count() >= 1
    assert violations(tab, auditor, live_server) == []


def test_language_toggle_leads_to_the_twin(tab: Any, live_server: str) -> None:
    tab.goto(live_server + "/en/citizenship")
    tab.click("a.lang-toggle")
    assert tab.url.endswith("/fr/citoyennete")
    assert tab.get_attribute("html", "lang") == "fr"


def test_layout_at_phone_width(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server + "/fr/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "sideways scrolling"
    context.close()


def test_the_audit_can_fail(tab: Any, auditor: Any, live_server: str) -> None:
    """Guard against an audit that always passes: a broken page must be reported in both modes."""
    tab.goto(live_server + "/en/")
    tab.set_content(
        '<html><head><title>x</title></head><body><img src="/x.png"><a href="/"></a></body></html>'
    )
    found = violations(tab, auditor, live_server)
    assert any(v.startswith("image-alt") for v in found)
    assert any(v.startswith("html-has-lang") for v in found)

"""Every information page in real headless Chromium, JavaScript on and off, checked by axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from northbound.portal.content.loader import load_pages
from tests.support.browser import WCAG_AA

pytestmark = pytest.mark.browser
PATHS = sorted(page.path for page in load_pages().values())


@dataclass
class Tab:
    page: Any
    javascript: bool


@pytest.fixture(scope="module", params=[True, False], ids=["js-on", "js-off"])
def tab(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Tab]:
    context = chromium.new_context(java_script_enabled=request.param)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Tab(page, request.param)
    context.close()


@pytest.fixture(scope="module")
def auditor(chromium: Any) -> Iterator[Any]:
    """A JavaScript-enabled tab that runs axe-core on snapshots taken with JavaScript off."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(tab: Tab, auditor: Any, base_url: str) -> list[str]:
    """axe-core's WCAG 2.1 AA violations for what the tab shows.

    axe-core is page script, which a JavaScript-off tab never runs (its timers never fire); that
    tab's DOM is audited in the auditor tab instead: same HTML, same stylesheet via <base>.
    """
    from axe_playwright_python.sync_playwright import Axe

    target = tab.page
    if not tab.javascript:
        html = tab.page.content().replace("<head>", f'<head><base href="{base_url}/">', 1)
        auditor.set_content(html, wait_until="load")
        target = auditor
    results = Axe().run(target, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.mark.parametrize("path", PATHS)
def test_page_renders_and_is_accessible(
    tab: Tab, auditor: Any, live_server: str, path: str
) -> None:
    response = tab.page.goto(live_server + path)
    assert response is not None and response.status == 200
    language = path.split("/")[1]
    assert tab.page.get_attribute("html", "lang") == language
    assert tab.page.locator("h1").count() == 1
    assert tab.page.locator("main#main").count() == 1
    assert tab.page.locator("script").count() == 0  # information pages need no JavaScript
    toggle = tab.page.locator("a.lang-toggle")
    assert toggle.get_attribute("lang") == ("fr" if language == "en" else "en")
    assert axe_violations(tab, auditor, live_server) == []


def test_skip_link_and_search_work(tab: Tab, auditor: Any, live_server: str) -> None:
    tab.page.goto(live_server + "/en/")
    tab.page.keyboard.press("Tab")
    assert "skip-link" in tab.page.evaluate("document.activeElement.className")
    tab.page.fill("#site-search", "citizenship")
    tab.page.click(".search-form button")
    assert "/en/search" in tab.page.url
    assert tab.page.locator(".search-results a", has_text="itizenship").count() >= 1
    assert axe_violations(tab, auditor, live_server) == []


def test_language_toggle_leads_to_the_twin(tab: Tab, live_server: str) -> None:
    tab.page.goto(live_server + "/en/citizenship")
    tab.page.click("a.lang-toggle")
    assert tab.page.url.endswith("/fr/citoyennete")
    assert tab.page.get_attribute("html", "lang") == "fr"


def test_layout_at_phone_width(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server + "/fr/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "sideways scrolling"
    context.close()


def test_the_audit_can_fail(tab: Tab, auditor: Any, live_server: str) -> None:
    """Guard against an audit that always passes: a broken page must be reported in both modes."""
    tab.page.goto(live_server + "/en/")
    tab.page.set_content(
        '<html><head><title>x</title></head><body><img src="/x.png"><a href="/"></a></body></html>'
    )
    found = axe_violations(tab, auditor, live_server)
    assert any(v.startswith("image-alt") for v in found)
    assert any(v.startswith("html-has-lang") for v in found)

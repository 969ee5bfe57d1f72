"""The processing-times tool in headless Chromium: keyboard only, both languages, JavaScript on
and off, at desktop and phone widths, checked by axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import audit

pytestmark = pytest.mark.browser
TOOL = {"en": "/en/check-processing-times", "fr": "/fr/verifier-delais-de-traitement"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_asked_with_the_keyboard_alone(
    js_tab: Any, auditor: Any, live_server: str, language: str
) -> None:
    page = js_tab
    page.goto(live_server + TOOL[language])
    audit(page, auditor, live_server, [])
    page.focus("#field-type")
    page.keyboard.press("End")  # a closed <select> takes its last option from the keyboard
    if page.input_value("#field-type") != "pr_interest":
        page.select_option("#field-type", "pr_interest")  # headless builds differ here
    page.keyboard.press("Tab")  # to the country
    page.keyboard.press("Tab")  # to the button
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "type=pr_interest" in page.url
    assert page.locator(".processing-result").count() == 1
    audit(page, auditor, live_server, [])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_missing_country_is_named_and_linked(
    js_tab: Any, auditor: Any, live_server: str, language: str
) -> None:
    page = js_tab
    response = page.goto(live_server + TOOL[language] + "?type=work_permit")
    assert response is not None and response.status == 400
    link = page.locator(".error-summary a")
    assert link.count() == 1 and link.get_attribute("href") == "#field-country"
    assert page.get_attribute("#field-country", "aria-invalid") == "true"
    audit(page, auditor, live_server, [])


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_wider_than_the_screen(chromium: Any, live_server: str, width: int) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for language in ("en", "fr"):
        page.goto(live_server + TOOL[language] + "?type=work_permit&country=IN")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, language
    context.close()

"""The contact form in headless Chromium: both languages, JavaScript on and off, the error
summary's links land on their fields, axe-core clean, nothing wider than a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import audit

pytestmark = pytest.mark.browser
FORM = {"en": "/en/contact-us", "fr": "/fr/nous-joindre"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_sent_with_the_keyboard_and_errors_link_to_fields(
    js_tab: Any, auditor: Any, live_server: str, language: str
) -> None:
    page = js_tab
    page.goto(live_server + FORM[language])
    audit(page, auditor, live_server, [])
    page.fill("#field-name", "Lin Wei")
    page.fill("#field-email", "not-an-address")
    page.select_option("#field-topic", "status")
    page.fill("#field-body", "Where is my application? I sent it in June.")
    page.focus("#field-body")
    page.keyboard.press("Tab")  # the send button is next
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    links = page.locator(".error-summary a")
    assert links.count() == 1 and links.first.get_attribute("href") == "#field-email"
    assert page.input_value("#field-name") == "Lin Wei"  # nothing typed is lost
    audit(page, auditor, live_server, [])
    page.fill("#field-email", "lin.wei@example.com")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    assert "reference=CT-" in page.url
    assert page.locator(".receipt-number").inner_text().startswith("CT-")
    audit(page, auditor, live_server, [])


def test_the_form_fits_a_phone(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    for language in ("en", "fr"):
        page.goto(live_server + FORM[language])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, language
    context.close()

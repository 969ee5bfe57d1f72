"""Enter in a field does what the page's main button does (Continue, Calculate), never Back or
"Add more rows"; and an error summary names each field by its label. Headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser
FINDER = {"en": "/en/eligibility/find-out", "fr": "/fr/admissibilite/decouvrez"}
PRESENCE = {"en": "/en/eligibility/physical-presence", "fr": "/fr/admissibilite/presence-effective"}
CRS = {"en": "/en/eligibility/crs-calculator", "fr": "/fr/admissibilite/calculateur-scg"}
STEP = {"en": "Step %d of", "fr": "Étape %d sur"}


def enter_in(page: Any, selector: str) -> int:
    page.focus(selector)
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    return int(navigation.value.status)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_enter_on_a_questionnaire_step_continues(
    js_tab: Any, live_server: str, language: str
) -> None:
    page = js_tab
    page.goto(live_server + FINDER[language])
    with page.expect_navigation():
        page.click("main a.button")
    page.select_option("#f-goal", "immigrate")
    page.select_option("#f-status", "none")
    with page.expect_navigation():
        page.click("main form button[value=next]")
    assert STEP[language] % 2 in page.text_content(".step-count")
    page.fill("#f-age", "29")
    page.select_option("#f-marital_status", "never_married")
    page.select_option("#f-education", "bachelors_or_three_year")
    page.select_option("#f-canadian_education", "none")
    assert enter_in(page, "#f-age") == 200
    assert STEP[language] % 3 in page.text_content(".step-count")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_enter_in_the_presence_calculator_calculates(
    js_tab: Any, live_server: str, language: str
) -> None:
    page = js_tab
    page.goto(live_server + PRESENCE[language])
    rows = page.locator(".row-pair").count()
    page.fill("#f-application_date", "2026-12-01")
    page.fill("#f-pr_date", "2021-06-01")
    assert enter_in(page, "#f-pr_date") == 200
    assert page.locator("#presence-total").count() == 1
    assert page.locator(".row-pair").count() == rows


@pytest.mark.parametrize(("language", "first"), [("en", "Age: "), ("fr", "Âge\u00a0: ")])
def test_the_error_summary_names_each_field(
    js_tab: Any, live_server: str, language: str, first: str
) -> None:
    page = js_tab
    page.goto(live_server + CRS[language])
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    links = page.locator(".error-summary a")
    assert links.count() >= 5
    assert (links.first.text_content() or "").startswith(first)
    texts = [links.nth(i).text_content() for i in range(links.count())]
    assert len(set(texts)) == len(texts), "two errors read the same: which field is which?"


WIDE_PAGES = [
    CRS["en"],
    CRS["fr"],
    PRESENCE["en"],
    PRESENCE["fr"],
    "/en/eligibility/federal-skilled-worker-points",
    "/fr/admissibilite/grille-travailleurs-qualifies",
    "/en/eligibility/crs-calculator?marital_status=married",
]


def test_no_tool_is_wider_than_a_phone(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    too_wide = {}
    for path in WIDE_PAGES:
        tab.goto(live_server + path)
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
        with tab.expect_navigation():  # the page with every error shown
            tab.click("main form button[type=submit]:not(.visually-hidden)")
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path + " (errors)"] = width
    context.close()
    assert too_wide == {}

"""The eligibility forms in headless Chromium with JavaScript off, in English and French,
checked by axe-core on every page a visitor sees (form, errors, result, each step)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.browser
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CRS_PATH = {"en": "/en/eligibility/crs-calculator", "fr": "/fr/admissibilite/calculateur-scg"}
FINDER = {"en": "/en/eligibility/find-out", "fr": "/fr/admissibilite/decouvrez"}
OTHER_PAGES = [
    "/en/eligibility/",
    "/fr/admissibilite/",
    "/en/eligibility/federal-skilled-worker-points",
    "/fr/admissibilite/grille-travailleurs-qualifies",
    "/en/eligibility/physical-presence",
    "/fr/admissibilite/presence-effective",
]


@pytest.fixture(scope="module")
def page(chromium: Any, live_server: str) -> Iterator[Any]:
    """A tab with JavaScript off, plus (as ``page.axe_tab``) a tab that audits its pages."""
    context = chromium.new_context(java_script_enabled=False)
    audit_context = chromium.new_context()
    tab = context.new_page()
    tab.axe_tab = audit_context.new_page()
    tab.axe_tab.goto(live_server + "/en/")
    yield tab
    audit_context.close()
    context.close()


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 AA findings for what the JavaScript-off tab shows now.

    axe-core never finishes in a tab with JavaScript disabled (its checks wait on timers),
    so the rendered document is copied into a second tab on the same origin and audited
    there: the same markup and styles, checked exactly as served.
    """
    from axe_playwright_python.sync_playwright import Axe

    audit = page.axe_tab
    audit.set_content(page.content())
    results = Axe().run(audit, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


def submit(page: Any, selector: str = "main form button[type=submit]") -> int:
    with page.expect_navigation() as navigation:
        page.click(selector)
    return int(navigation.value.status)


def fill_language(page: Any, prefix: str, test: str, scores: tuple[str, str, str, str]) -> None:
    page.select_option(f"#f-{prefix}__test", test)
    for ability, score in zip(("speaking", "listening", "reading", "writing"), scores, strict=True):
        page.fill(f"#f-{prefix}__{ability}", score)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_crs_form_without_javascript(page: Any, live_server: str, language: str) -> None:
    page.goto(live_server + CRS_PATH[language])
    assert page.get_attribute("html", "lang") == language
    assert axe_violations(page) == []
    page.select_option("#f-marital_status", "never_married")
    page.fill("#f-age", "200")
    page.select_option("#f-education", "bachelors_or_three_year")
    page.select_option("#f-canadian_education", "none")
    fill_language(page, "first_language", "ielts", ("7", "8", "7", "9.7"))
    page.fill("#f-canadian_work_years", "0")
    page.fill("#f-foreign_work_years", "3")
    assert submit(page) == 422
    age_error = page.text_content("#f-age-error") or ""
    assert ("no greater than 120" if language == "en" else "inférieur à 120") in age_error
    assert page.locator("#f-first_language__writing-error").count() == 1
    assert page.get_attribute("#f-age", "aria-invalid") == "true"
    assert axe_violations(page) == []
    page.fill("#f-age", "29")
    page.fill("#f-first_language__writing", "7")
    assert submit(page) == 200
    assert page.get_attribute("#crs-total", "data-total") == "429"
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_questionnaire_without_javascript(page: Any, live_server: str, language: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server + FINDER[language])
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.click("main a.button")
    next_button = "main form button[value=next]"
    # 1. Situation
    assert axe_violations(page) == []
    page.select_option("#f-goal", "immigrate")
    page.select_option("#f-status", "none")
    assert submit(page, next_button) == 200
    # 2. About you; go back once and forward again: the answers are kept.
    page.fill("#f-age", "29")
    page.select_option("#f-marital_status", "never_married")
    page.select_option("#f-education", "bachelors_or_three_year")
    page.select_option("#f-canadian_education", "none")
    assert axe_violations(page) == []
    assert submit(page, "main form button[value=back]") == 200
    assert page.input_value("#f-goal") == "immigrate"
    assert submit(page, next_button) == 200
    assert page.input_value("#f-age") == "29"
    assert submit(page, next_button) == 200
    # 3. Languages: an impossible IELTS score is refused in the page's language.
    fill_language(page, "first_language", "ielts", ("7", "8", "7", "6.3"))
    assert submit(page, next_button) == 422
    message = page.text_content("#f-first_language__writing-error") or ""
    assert ("half band" if language == "en" else "demi-bande") in message
    assert axe_violations(page) == []
    page.fill("#f-first_language__writing", "7")
    assert submit(page, next_button) == 200
    # 4. Work
    page.fill("#f-canadian_work_years", "0")
    page.fill("#f-canadian_work_years_last_3", "0")
    page.fill("#f-foreign_work_years", "3")
    page.fill("#f-trade_work_years_last_5", "0")
    assert axe_violations(page) == []
    assert submit(page, next_button) == 200
    # 5. Ties (single: no spouse step), then the results.
    assert axe_violations(page) == []
    assert submit(page, next_button) == 200
    assert page.get_attribute("#crs-total", "data-total") == "429"
    assert page.locator("section.program").count() == 9
    assert axe_violations(page) == []
    # The reference code's link fills in the CRS calculator.
    with page.expect_navigation():
        page.click(f"main a[href^='{CRS_PATH[language]}?code=']")
    assert page.get_attribute("#crs-total", "data-total") == "429"
    assert page.input_value("#f-age") == "29"


@pytest.mark.parametrize("path", OTHER_PAGES)
def test_other_tools_are_accessible(page: Any, live_server: str, path: str) -> None:
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    assert axe_violations(page) == []

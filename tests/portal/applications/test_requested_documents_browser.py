"""A requested document sent in headless Chromium: the applicant finds the request on the
status page, sends the document (a mistake first, to see the error summary), and the officer
sees it arrive with labels, not codes. Both languages, JavaScript on and off, axe-core clean,
nothing wider than a phone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from northbound.portal.accounts.models import User
from northbound.settings import Settings
from northbound.storage.database import Database
from tests.support.accounts import (
    FAST_HASHING,
    PDF,
    citizenship_ready,
    post_form,
    sign_up,
    submit,
)
from tests.support.apps import migrated, served, site_settings
from tests.support.browser import audit
from tests.support.services import free_port
from tests.support.text import found

pytestmark = pytest.mark.browser
TEXT = {
    "en": {"send": "Send the documents we asked for", "button": "Send document"},
    "fr": {"send": "Envoyer les documents demandés", "button": "Envoyer le document"},
}


@dataclass
class Case:
    url: str
    application: str  # the applicant's address of the submitted application
    staff_page: str
    applicant: str  # session cookies
    officer: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = migrated(site_settings(tmp_path_factory.mktemp("asked-data"), accounts=FAST_HASHING))
    with served(settings, free_port()) as url:
        yield url, settings


async def _prepare(url: str, settings: Settings, language: str, tag: str) -> Case:
    """A submitted application and an officer's request for a language test result."""
    async with (
        httpx.AsyncClient(base_url=url) as applicant,
        httpx.AsyncClient(base_url=url) as officer,
    ):
        await sign_up(applicant, f"asked-{tag}@example.com", language)
        base = await citizenship_ready(applicant, language)
        submitted = await submit(applicant, base, language)
        assert submitted.status_code == 303, submitted.text[:2000]
        await sign_up(officer, f"officer-{tag}@example.com")
        db = Database(settings.effective_database_url)
        try:
            async with db.session() as session, session.begin():
                await session.execute(
                    update(User)
                    .where(User.email == f"officer-{tag}@example.com")
                    .values(is_staff=True)
                )
        finally:
            await db.dispose()
        queue = await officer.get("/en/account/staff")
        assert queue.status_code == 200, queue.status_code
        staff_page = found(rf'href="(/en/account/staff/applications/{base[-32:]})"', queue.text)
        asked = await post_form(
            officer,
            f"{staff_page}/ask-for-document",
            {"category": "language", "note": "Your CELPIP result."},
            form_page=staff_page,
        )
        assert asked.status_code == 303, asked.text[:2000]
        return Case(
            url,
            base,
            staff_page,
            applicant.cookies["nb_session"],
            officer.cookies["nb_session"],
        )


def prepare(url: str, settings: Settings, language: str, tag: str) -> Case:
    # Playwright keeps an event loop running in this thread: the set-up runs in another one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _prepare(url, settings, language, tag)).result()


def _tab(chromium: Any, url: str, session: str, *, javascript: bool, width: int) -> Any:
    context = chromium.new_context(
        java_script_enabled=javascript, viewport={"width": width, "height": 900}
    )
    context.add_cookies([{"name": "nb_session", "value": session, "url": url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_applicant_sends_what_the_officer_asked_for(
    chromium: Any,
    auditor: Any,
    site: tuple[str, Settings],
    tmp_path: Path,
    language: str,
    javascript: bool,
) -> None:
    url, settings = site
    case = prepare(url, settings, language, f"{language}-{int(javascript)}")
    text = TEXT[language]
    audited: list[str] = []
    page = _tab(chromium, url, case.applicant, javascript=javascript, width=390)
    try:
        page.goto(url + case.application)
        assert "Your CELPIP result." in page.content()
        audit(page, auditor, url, audited)
        with page.expect_navigation():
            page.click(f"a:has-text('{text['send']}')")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        audit(page, auditor, url, audited)
        with page.expect_navigation():
            page.click(f"button:has-text('{text['button']}')")  # no file chosen
        assert page.locator(".error-summary a[href='#field-file']").count() == 1
        audit(page, auditor, url, audited)
        document = tmp_path / "celpip.pdf"
        document.write_bytes(PDF)
        page.set_input_files("#field-file", str(document))
        page.focus("#field-file")
        with page.expect_navigation():
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
        assert page.url.endswith("?received=1")
        assert page.locator("[role=status]").count() == 1
        assert page.locator("a:has-text('celpip.pdf')").count() == 1
        audit(page, auditor, url, audited)
    finally:
        page.context.close()
    staff = _tab(chromium, url, case.officer, javascript=javascript, width=1280)
    try:
        staff.goto(url + case.staff_page)
        content = staff.content()
        assert "celpip.pdf" in content and "Received on" in content
        assert "Proof of language skills" in content and "PDF" in content
        assert ">Ontario<" in content  # the answer ON, as people read it
        audit(staff, auditor, url, audited)
    finally:
        staff.context.close()
    assert len(audited) == 5

"""The console in headless Chromium with JavaScript off, English and French, axe-core clean:
the figures page, a control pressed, the notice editor with an error and after saving."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from northbound.ops.console.paths import CONSOLE_PATHS
from northbound.portal.accounts.models import User
from northbound.settings import Language, Settings
from northbound.storage.database import Database
from tests.support.accounts import FAST_HASHING, PASSWORD
from tests.support.apps import migrated, served, site_settings
from tests.support.browser import audit
from tests.support.services import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# axe flags every timed meta refresh (SC 2.2.1) since it cannot see that the page says it
# refreshes, how often, and links to the same view without it (audited with every rule); on the
# refreshing views that one rule is off, every other one on.
REFRESHING = ("meta-refresh",)


@pytest.fixture(scope="module")
def staff_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A live site with one staff account; yields its URL and the account's session cookie."""
    settings = migrated(
        site_settings(tmp_path_factory.mktemp("console-data"), accounts=FAST_HASHING)
    )
    with served(settings, free_port()) as url:
        yield url, _staff_session(url, settings)


def _staff_session(url: str, settings: Settings) -> str:
    """Signs up console@example.com, makes it staff; its session cookie."""

    def token(page: str) -> str:
        return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    with httpx.Client(base_url=url) as client:
        client.post(
            "/en/account/sign-up",
            data={
                "csrf_token": token(client.get("/en/account/sign-up").text),
                "email": "console@example.com",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        # signing up signs nobody in (it must not reveal whether the address had an account)
        client.post(
            "/en/account/sign-in",
            data={
                "csrf_token": token(client.get("/en/account/sign-in").text),
                "email": "console@example.com",
                "password": PASSWORD,
            },
        )
        session = client.cookies["nb_session"]

    async def promote() -> None:
        db = Database(settings.effective_database_url)
        try:
            async with db.session() as s, s.begin():
                await s.execute(
                    update(User).where(User.email == "console@example.com").values(is_staff=True)
                )
        finally:
            await db.dispose()

    # Playwright keeps an event loop running in this thread: the update runs in another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, promote()).result()
    return session


@pytest.mark.parametrize("language", ["en", "fr"])
def test_console_without_javascript(
    chromium: Any, auditor: Any, staff_site: tuple[str, str], language: Language
) -> None:
    url, session = staff_site
    context = chromium.new_context(java_script_enabled=False)
    context.add_cookies([{"name": "nb_session", "value": session, "url": url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen: list[str] = []
    pause = {"en": "Pause admissions", "fr": "Suspendre les admissions"}[language]
    save = {"en": "Show this notice on every page", "fr": "Afficher cet avis sur toutes les pages"}[
        language
    ]
    try:
        page.goto(url + CONSOLE_PATHS["console"][language])
        assert page.locator("h1").inner_text() in ("Operator's console", "Console de l'opérateur")
        audit(page, auditor, url, seen, rules_off=REFRESHING)
        page.click("a[href='?refresh=off']")
        assert page.locator("meta[http-equiv=refresh]").count() == 0
        audit(page, auditor, url, seen)
        page.click(f"button:has-text('{pause}')")
        assert "?done=room" in page.url
        assert page.locator("[role=status]").is_visible()
        audit(page, auditor, url, seen, rules_off=REFRESHING)
        page.goto(url + CONSOLE_PATHS["notice"][language])
        page.fill("#notice-en", "Very busy tonight.")
        page.fill("#notice-fr", "")
        page.click(f"button:has-text('{save}')")
        assert page.locator("#notice-error").is_visible()
        audit(page, auditor, url, seen)
        page.fill("#notice-fr", "Très achalandé ce soir.")
        page.click(f"button:has-text('{save}')")
        assert page.locator(".notice").is_visible()
        assert page.locator("table").count() == 1  # the history lists the actions
        audit(page, auditor, url, seen)
    finally:
        context.close()
    assert len(seen) == 5

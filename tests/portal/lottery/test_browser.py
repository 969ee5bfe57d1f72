"""In headless Chromium with JavaScript off, in English and French: the intake page, the form
(a mistake first, then sent), the confirmation, and the draw page after the draw — with
axe-core finding no WCAG 2.1 AA violation on any of them."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from northbound.portal.lottery import service
from northbound.storage.database import Database
from tests.portal.lottery.helpers import FORM, INTAKE, answers
from tests.support.accounts import FAST_HASHING, PASSWORD
from tests.support.apps import migrated, served, site_settings
from tests.support.browser import audit
from tests.support.services import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TEXT = {
    "en": {
        "sign_up": "/en/account/sign-up",
        "create": "Create account",
        "sign_in": "Sign in",
        "fill": "Fill in the interest to sponsor form",
        "send": "Send my form",
        "received": "Your form was received",
        "check": "How the draw works",
        "matches": "it matches",
    },
    "fr": {
        "sign_up": "/fr/compte/inscription",
        "create": "Créer le compte",
        "sign_in": "Se connecter",
        "fill": "Remplir le formulaire d'intérêt à parrainer",
        "send": "Envoyer mon formulaire",
        "received": "Votre formulaire a été reçu",
        "check": "Comment fonctionne le tirage",
        "matches": "il correspond",
    },
}


@pytest.fixture(scope="module")
def lottery_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """The real app under uvicorn (a thread) with an open intake: (url, database url, id)."""
    settings = migrated(
        site_settings(tmp_path_factory.mktemp("lottery-live"), accounts=FAST_HASHING)
    )
    now = datetime.now(UTC)
    intake_id = _run(
        _with_db(
            settings.effective_database_url,
            lambda db: service.create_intake(
                db,
                opens_at=now - timedelta(minutes=5),
                closes_at=now + timedelta(days=1),
                invitation_target=10,
                application_cap=5,
                notice_en="Interest to sponsor is open.",
                notice_fr="Le formulaire d'intérêt à parrainer est ouvert.",
                staff_id=None,
                now=now,
            ),
        )
    ).id
    with served(settings, free_port()) as url:
        yield url, settings.effective_database_url, intake_id


def _run(coroutine: Any) -> Any:
    """Run database work on its own thread: Playwright's sync API keeps an event loop
    running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _with_db(url: str, work: Any) -> Any:
    db = Database(url)
    try:
        return await work(db)
    finally:
        await db.dispose()


async def _close_and_draw(url: str, intake_id: int) -> None:
    db = Database(url)
    try:
        now = datetime.now(UTC)
        await service.close_intake(db, intake_id, None, now)
        for item in await service.flags_of(db, intake_id):
            await service.decide_flag(
                db, intake_id, item.flag.id, "keep_both", item.first.user_id, now
            )
        await service.run_draw(db, intake_id, None, lambda: datetime.now(UTC))
    finally:
        await db.dispose()


def _sign_up(page: Any, site: str, text: dict[str, str]) -> None:
    """Sign up, then sign in: signing up signs nobody in (it answers alike for every
    address), so the sign-in page comes next."""
    email = f"sponsor-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(site + text["sign_up"])
    page.fill("#field-email", email)
    page.fill("#field-password", PASSWORD)
    page.fill("#field-confirm", PASSWORD)
    page.click(f"button:has-text('{text['create']}')")
    page.fill("#field-email", email)
    page.fill("#field-password", PASSWORD)
    page.click(f"main button:has-text('{text['sign_in']}')")


def test_interest_to_sponsor_without_javascript(
    chromium: Any,
    auditor: Any,
    lottery_site: tuple[str, str, int],
) -> None:
    site, database_url, intake_id = lottery_site
    audited: list[str] = []
    contexts = []
    for number, language in enumerate(("en", "fr"), start=1):
        text = TEXT[language]
        context = chromium.new_context(java_script_enabled=False)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        _sign_up(page, site, text)
        page.goto(site + INTAKE[language].format(id=intake_id))
        audit(page, auditor, site, audited)
        page.click(f'a:has-text("{text["fill"]}")')
        audit(page, auditor, site, audited)
        values = answers(number * 11)
        for name, value in values.items():
            if name in ("province", "status_document", "person1_relationship"):
                page.select_option(f"#field-{name}", value)
            elif name == "declaration":
                page.check("#field-declaration")
            else:
                page.fill(f"#field-{name}", value)
        page.fill("#field-postal_code", "12345")  # a mistake first
        page.click(f"button:has-text('{text['send']}')")
        assert page.locator("#field-postal_code-error").is_visible()
        assert page.locator(".error-summary a[href='#field-postal_code']").count() == 1
        audit(page, auditor, site, audited)
        page.fill("#field-postal_code", values["postal_code"])
        page.check("#field-declaration")
        page.click(f"button:has-text('{text['send']}')")
        assert text["received"] in page.content()
        confirmation = page.locator(".receipt-number").first.inner_text()
        assert re.fullmatch(r"PG-\d{3}-\d{3}-\d{4}", confirmation)
        audit(page, auditor, site, audited)
        # the form page now shows that number instead of a second form
        page.goto(site + FORM[language].format(id=intake_id))
        assert confirmation in page.content()
        assert page.locator("#field-family_name").count() == 0
        audit(page, auditor, site, audited)

    _run(_close_and_draw(database_url, intake_id))
    for context, language in zip(contexts, ("en", "fr"), strict=True):
        page = context.pages[0]
        page.goto(site + INTAKE[language].format(id=intake_id))
        audit(page, auditor, site, audited)
        page.click(f'a:has-text("{TEXT[language]["check"]}")')
        assert TEXT[language]["matches"] in page.content()
        audit(page, auditor, site, audited)
        context.close()
    assert len(audited) == 14

"""In headless Chromium with JavaScript off, in English and French: the intake page, the form
(a mistake first, then sent), the confirmation, and the draw page after the draw — with
axe-core finding no WCAG 2.1 AA violation on any of them."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn

from northbound.app import create_app
from northbound.portal.lottery import service
from northbound.settings import Settings
from northbound.storage import migrate
from northbound.storage.database import Database
from tests.accounts.flows import FAST_HASHING, PASSWORD
from tests.accounts.test_browser import audit, auditor  # noqa: F401 (a fixture)
from tests.conftest import STEADY_SURGE
from tests.lottery.helpers import FORM, INTAKE, answers

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TEXT = {
    "en": {"sign_up": "/en/account/sign-up", "create": "Create account",
           "fill": "Fill in the interest to sponsor form", "send": "Send my form",
           "received": "Your form was received", "check": "How the draw works",
           "matches": "it matches"},
    "fr": {"sign_up": "/fr/compte/inscription", "create": "Créer le compte",
           "fill": "Remplir le formulaire d'intérêt à parrainer",
           "send": "Envoyer mon formulaire", "received": "Votre formulaire a été reçu",
           "check": "Comment fonctionne le tirage", "matches": "il correspond"},
}


@pytest.fixture(scope="module")
def lottery_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """The real app under uvicorn (a thread) with an open intake: (url, database url, id)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("lottery-live"),
        secret_key="lottery-browser-secret-key-for-tests",  # type: ignore[arg-type]
        content_poll_seconds=0, accounts=FAST_HASHING,
        **STEADY_SURGE,  # type: ignore[arg-type]
    )
    migrate.upgrade(settings.effective_database_url)
    now = datetime.now(UTC)
    intake_id = _run(_with_db(settings.effective_database_url, lambda db:
                                     service.create_intake(
        db, opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(days=1),
        invitation_target=10, application_cap=5, notice_en="Interest to sponsor is open.",
        notice_fr="Le formulaire d'intérêt à parrainer est ouvert.", staff_id=None, now=now))
    ).id
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the lottery test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings.effective_database_url, intake_id
    server.should_exit = True
    thread.join(timeout=10)


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
            await service.decide_flag(db, intake_id, item.flag.id, "keep_both",
                                      item.first.user_id, now)
        await service.run_draw(db, intake_id, None, lambda: datetime.now(UTC))
    finally:
        await db.dispose()


def _sign_up(page: Any, site: str, text: dict[str, str]) -> None:
    page.goto(site + text["sign_up"])
    page.fill("#field-email", f"sponsor-{uuid.uuid4().hex[:8]}@example.com")
    page.fill("#field-password", PASSWORD)
    page.fill("#field-confirm", PASSWORD)
    page.click(f"button:has-text('{text['create']}')")


def test_interest_to_sponsor_without_javascript(
    chromium: Any, auditor: Any, lottery_site: tuple[str, str, int],  # noqa: F811
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

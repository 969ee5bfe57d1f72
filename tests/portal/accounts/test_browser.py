"""In headless Chromium with JavaScript off: sign up → application → upload → submit →
status, in English and French, with axe-core finding no WCAG 2.1 AA violations on any page."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.accounts import ABOUT_YOU, PASSWORD, PDF
from tests.support.browser import audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TEXT = {
    "en": {
        "sign_up": "/en/account/sign-up",
        "create": "Create account",
        "start": "Start an application",
        "citizenship": "Citizenship grant application",
        "begin": "Start",
        "continue": "Save and continue",
        "upload": "Upload",
        "review": "Continue to review",
        "submit": "Submit application",
        "received": "Application received",
        "kind": "Proof of identity",
        "sign_in": "Sign in",
        "check_email": "Check your email",
    },
    "fr": {
        "sign_up": "/fr/compte/inscription",
        "create": "Créer le compte",
        "start": "Commencer une demande",
        "citizenship": "Demande de citoyenneté",
        "begin": "Commencer",
        "continue": "Enregistrer et continuer",
        "upload": "Téléverser",
        "review": "Continuer vers la vérification",
        "submit": "Soumettre la demande",
        "received": "Demande reçue",
        "kind": "Preuve d'identité",
        "sign_in": "Se connecter",
        "check_email": "Consultez vos courriels",
    },
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_apply_for_citizenship_without_javascript(
    chromium: Any, auditor: Any, live_server: str, tmp_path: Path, language: str
) -> None:
    text = TEXT[language]
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    audited: list[str] = []
    try:
        page.goto(live_server + text["sign_up"])
        audit(page, auditor, live_server, audited)
        # A first try with a common password shows the message next to the field.
        email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
        page.fill("#field-email", email)
        page.fill("#field-password", "password123")
        page.fill("#field-confirm", "password123")
        page.click(f"button:has-text('{text['create']}')")
        assert page.locator("#field-password-error").is_visible()
        audit(page, auditor, live_server, audited)
        page.fill("#field-password", PASSWORD)
        page.fill("#field-confirm", PASSWORD)
        page.click(f"button:has-text('{text['create']}')")
        # Signing up signs nobody in (the answer must not tell who has an account): the
        # sign-in page says to check the mail, and the person signs in.
        assert text["check_email"] in page.content()
        audit(page, auditor, live_server, audited)
        page.fill("#field-email", email)
        page.fill("#field-password", PASSWORD)
        page.click(f"main button:has-text('{text['sign_in']}')")
        audit(page, auditor, live_server, audited)

        page.click(f"a:has-text('{text['start']}')")
        audit(page, auditor, live_server, audited)
        page.check("#kind-citizenship")
        page.click(f"button:has-text('{text['begin']}')")

        for name, value in ABOUT_YOU.items():
            page.fill(f"#field-{name}", value)
        page.click(f"button:has-text('{text['continue']}')")
        # Residence: first with a mistake, to see the error summary and field message.
        page.fill("#field-days_present", "900")
        page.fill("#field-address", "24 Sussex Drive")
        page.fill("#field-city", "Ottawa")
        page.select_option("#field-province", "ON")
        page.fill("#field-postal_code", "K1M 1M4")
        page.select_option("#field-taxes_filed", "yes")
        page.click(f"button:has-text('{text['continue']}')")
        assert page.locator("#field-days_present-error").is_visible()
        assert page.locator(".error-summary a[href='#field-days_present']").count() == 1
        audit(page, auditor, live_server, audited)
        page.fill("#field-days_present", "1200")
        page.click(f"button:has-text('{text['continue']}')")
        page.wait_for_selector("#field-language_evidence")
        audit(page, auditor, live_server, audited)
        page.select_option("#field-language_evidence", "test")
        page.click(f"button:has-text('{text['continue']}')")

        document = tmp_path / "passport.pdf"
        document.write_bytes(PDF)
        page.select_option("#field-category", "identity")
        page.set_input_files("#field-file", str(document))
        page.click(f"button:has-text('{text['upload']}')")
        assert page.locator("a:has-text('passport.pdf')").count() == 1
        audit(page, auditor, live_server, audited)
        page.click(f"a:has-text('{text['review']}')")
        audit(page, auditor, live_server, audited)
        page.click(f"button:has-text('{text['submit']}')")

        receipt = page.locator(".receipt-number").inner_text()
        assert re.fullmatch(r"CZ-\d{3}-\d{3}-\d{4}", receipt)
        assert page.locator("[aria-current='step']").inner_text().startswith(text["received"])
        audit(page, auditor, live_server, audited)
        # Going back (the review page is not cached, so it now leads to the status page) or
        # re-sending the form shows the same receipt, never a second application.
        page.go_back()
        submit_again = page.locator(f"button:has-text('{text['submit']}')")
        if submit_again.count():
            submit_again.click()
        assert receipt in page.content()
    finally:
        context.close()
    assert len(audited) == 10

"""Headless Chromium for the browser tests (Debian's, never a downloaded one) and the axe-core
audit they run on every page they visit."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(
    page: Any, auditor: Any, base_url: str, *, rules_off: tuple[str, ...] = ()
) -> list[str]:
    """axe-core's WCAG 2.1 AA violations in what ``page`` shows, audited in the JavaScript tab
    ``auditor``: same HTML, same stylesheet via <base>. axe-core is page script, which a
    JavaScript-off tab never runs, so every page is audited there, whichever tab showed it."""
    from axe_playwright_python.sync_playwright import Axe

    # a click that sends a form returns once the navigation starts; what is audited is the
    # page it lands on, not the document between the POST, its 303 and the GET
    page.wait_for_load_state("load")
    html = page.content().replace("<head>", f'<head><base href="{base_url}/">', 1)
    auditor.set_content(html, wait_until="load")
    options: dict[str, Any] = {"runOnly": {"type": "tag", "values": WCAG_AA}}
    if rules_off:
        options["rules"] = {rule: {"enabled": False} for rule in rules_off}
    results = Axe().run(auditor, options=options)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


def audit(
    page: Any, auditor: Any, base_url: str, seen: list[str], *, rules_off: tuple[str, ...] = ()
) -> None:
    """No WCAG 2.1 AA violation in what ``page`` shows (see :func:`violations`); ``seen``
    collects the audited URLs."""
    found = violations(page, auditor, base_url, rules_off=rules_off)
    assert found == [], (page.url, found)
    seen.append(page.url)

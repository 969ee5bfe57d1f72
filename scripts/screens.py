"""Screenshots of the pages people meet, for before/after comparisons in reviews.

Serves the site from a source tree (``--src``: a checkout, e.g. a ``git worktree`` of an older
commit; its own code and migrations, on a throw-away SQLite database), opens each page in
Debian's headless Chromium at a desktop and a phone width, and writes small JPEGs to ``--out``.
The 503 page is pre-rendered bytes, so it is rendered by that tree's own ``shed_page`` module.

    .venv/bin/python scripts/screens.py --src . --out docs/screens/after
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# name -> (path, what to do on the page before the picture: "" or "submit")
PAGES = {
    "crs-form": ("/en/eligibility/crs-calculator", ""),
    "crs-errors": ("/en/eligibility/crs-calculator", "submit"),
    "questionnaire-step": ("/fr/admissibilite/decouvrez/a-propos-de-vous", ""),
    "processing-times": ("/en/check-processing-times?type=work_permit&country=IN", ""),
    "processing-times-fr": ("/fr/verifier-delais-de-traitement?type=citizenship", ""),
    "contact-us": ("/en/contact-us", ""),
}
SHED_PAGE = (
    "import sys, inspect; from northbound.surge import shed_page as s; "
    "kw = {'site_name': 'Northbound'}; "
    "params = inspect.signature(s.render_html).parameters; "
    "kw.update({'info_links': {'en': '/en/', 'fr': '/fr/'}} if 'info_links' in params else {}); "
    "sys.stdout.buffer.write(s.render_html(503, 5, french_first=False, **kw))"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(src: Path, data: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(src / "src"),
        "NORTHBOUND_DATA_DIR": str(data),
        "NORTHBOUND_SECRET_KEY": "screens-secret-key-not-for-production-use",
        "NORTHBOUND_WAITING_ROOM__MODE": "off",
    }
    cli = [sys.executable, "-c", "from northbound.cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the site did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        server, base = _serve(args.src.resolve(), Path(data))
        shed = subprocess.run(
            [sys.executable, "-c", SHED_PAGE],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(args.src.resolve() / "src")},
        )
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                for label, (width, height) in WIDTHS.items():
                    page = browser.new_page(viewport={"width": width, "height": height})
                    for name, (path, action) in PAGES.items():
                        response = page.goto(base + path)
                        if response is None or response.status == 404:
                            continue  # the page does not exist in that tree
                        if action == "submit":
                            with page.expect_navigation():
                                page.click("main form button[type=submit]:not(.visually-hidden)")
                        page.screenshot(
                            path=args.out / f"{name}-{label}.jpg", type="jpeg", quality=60
                        )
                    page.set_content(shed.stdout.decode("utf-8"))
                    page.screenshot(path=args.out / f"503-{label}.jpg", type="jpeg", quality=60)
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()

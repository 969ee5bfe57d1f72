"""What people come to do: four journeys, each a short sequence of pages a person goes
through, reading in between (think time). A journey ends in one of three ways: completed,
abandoned (the person ran out of patience, :class:`~.browser.GaveUp`) or failed (the site
answered something a person cannot get past, :class:`JourneyFailed`).

- **reader**: the home page in English or French, two to four information pages reached by
  following the page's own links, sometimes a search;
- **tool user**: the CRS calculator as an HTML form, or the CRS and physical presence tools
  through the JSON API;
- **applicant**: signs up, confirms the address from the outbox mail (when the lab can read
  the site's data), signs in, starts an expression of interest, fills its two steps, uploads a
  document, submits and reads the receipt; later signs out, signs in again and finds the
  application in the list. A receipt shown is written in the ledger, which the
  lost-submission check compares with the site's database afterwards;
- **status checker**: signs in to an account that already has an application and reads its
  status (pages, or the JSON API).
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from .browser import Browser, Page

PASSWORD = "maple syrup on election night"
_LINK = re.compile(r'href="(/(?:en|fr)/[a-z0-9\-/]*)"')
_TOKEN = r'name="{}" value="([^"]*)"'
RECEIPT = re.compile(r'class="receipt-number">([A-Z]{2}-\d{3}-\d{3}-\d{4})<')
_VERIFY = re.compile(r"(/(?:en|fr)/[^\s?]*\?token=[A-Za-z0-9_\-]+)")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SEARCHES = {
    "en": ["express entry", "study permit", "citizenship test", "move to canada"],
    "fr": ["entrée express", "permis d'études", "citoyenneté"],
}
ABOUT_YOU = {
    "family_name": "Tremblay",
    "given_names": "Marie-Ève",
    "date_of_birth": "1988-02-29",
    "country_of_birth": "United States",
    "phone": "613-555-0100",
    "uci": "",
}
PLANS = {
    "program": "express_entry",
    "country_of_residence": "United States",
    "education": "master",
    "language_clb": "9",
    "years_experience": "4",
}
PAGES = {
    "sign_up": {"en": "/en/account/sign-up", "fr": "/fr/compte/inscription"},
    "sign_in": {"en": "/en/account/sign-in", "fr": "/fr/compte/connexion"},
    "sign_out": {"en": "/en/account/sign-out", "fr": "/fr/compte/deconnexion"},
    "home": {"en": "/en/account/", "fr": "/fr/compte/"},
    "new": {"en": "/en/account/applications/new", "fr": "/fr/compte/demandes/nouvelle"},
    "list": {"en": "/en/account/applications", "fr": "/fr/compte/demandes"},
    "crs": {"en": "/en/eligibility/crs-calculator", "fr": "/fr/admissibilite/calculateur-scg"},
    "search": {"en": "/en/search", "fr": "/fr/recherche"},
}
STEPS = {
    "en": ("about-you", "your-plans", "documents", "review"),
    "fr": ("a-propos-de-vous", "vos-projets", "documents", "verification"),
}
FILES = {"en": "files", "fr": "fichiers"}
CRS_API: dict[str, Any] = {
    "age": 31,
    "education": "bachelors_or_three_year",
    "canadian_education": "none",
    "first_language": {"test": "clb", "speaking": 9, "listening": 9, "reading": 8, "writing": 8},
    "second_language": None,
    "canadian_work_years": 0,
    "foreign_work_years": 3,
    "certificate_of_qualification": False,
    "provincial_nomination": False,
    "sibling_in_canada": False,
    "spouse": None,
}
CRS_FORM = {
    "age": "31",
    "education": "bachelors_or_three_year",
    "canadian_education": "none",
    "first_language__test": "clb",
    "first_language__speaking": "9",
    "first_language__listening": "9",
    "first_language__reading": "8",
    "first_language__writing": "8",
    "canadian_work_years": "0",
    "foreign_work_years": "3",
    "marital_status": "never_married",
}
PRESENCE_API: dict[str, Any] = {
    "application_date": "2026-11-01",
    "pr_date": "2022-01-10",
    "temporary_periods": [{"start": "2020-04-01", "end": "2022-01-09"}],
    "absences": [{"departure": "2024-07-01", "return": "2024-07-21"}],
    "sentence_periods": [],
}


class JourneyFailed(Exception):
    """The site answered something a person cannot get past (a 4xx, a missing form)."""


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A receipt the site showed a person: it must exist exactly once in the site's data."""

    email: str
    receipt: str
    at: float


@dataclass
class Crew:
    """What journeys share: the ledger of receipts, seeded accounts, the outbox."""

    rng: random.Random
    acknowledged: list[Acknowledgement] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # emails with a submitted application
    # the verification link mailed to an address, when the lab can read the site's outbox
    outbox: Callable[[str], Awaitable[str | None]] | None = None
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))


Journey = Callable[[Browser, Crew], Coroutine[Any, Any, None]]


def token(page: Page, name: str) -> str:
    found = re.search(_TOKEN.format(name), page.text)
    if found is None:
        raise JourneyFailed(f"no {name} on {page.url} (status {page.status})")
    return found.group(1)


def expect(page: Page, *statuses: int) -> Page:
    if page.status not in statuses:
        raise JourneyFailed(f"{page.url} answered {page.status}")
    return page


async def _think(person: Browser, crew: Crew) -> None:
    low, high = person.behaviour.think_seconds
    await person.think(crew.rng.uniform(low, high))


def _language(crew: Crew) -> str:
    return "fr" if crew.rng.random() < 0.25 else "en"


async def reader(person: Browser, crew: Crew) -> None:
    lang = _language(crew)
    page = expect(await person.get(f"/{lang}/"), 200)
    for _ in range(crew.rng.randint(2, 4)):
        await _think(person, crew)
        if crew.rng.random() < 0.2:
            query = crew.rng.choice(SEARCHES[lang])
            expect(await person.get(PAGES["search"][lang], params={"q": query}), 200)
            continue
        links = [
            link
            for link in _LINK.findall(page.text)
            if link.startswith(f"/{lang}/") and "/account" not in link and "/compte" not in link
        ]
        if not links:
            break
        page = await person.follow(await person.get(crew.rng.choice(links)))
        expect(page, 200)


async def tool_user(person: Browser, crew: Crew) -> None:
    lang = _language(crew)
    choice = crew.rng.random()
    if choice < 0.5:
        expect(await person.get(PAGES["crs"][lang]), 200)
        await _think(person, crew)
        result = expect(await person.post(PAGES["crs"][lang], data=CRS_FORM), 200)
        if 'id="crs-total"' not in result.text:
            raise JourneyFailed("the CRS page gave no score")
        return
    headers = {"Accept": "application/json"}
    if choice < 0.8:
        answer = expect(
            await person.post("/api/v1/eligibility/crs", json=CRS_API, headers=headers), 200
        )
        if "total" not in answer.json():
            raise JourneyFailed("the CRS API gave no total")
        await _think(person, crew)
        varied = {**CRS_API, "age": 29 + crew.rng.randint(0, 10)}
        expect(await person.post("/api/v1/eligibility/crs", json=varied, headers=headers), 200)
        return
    expect(
        await person.post(
            "/api/v1/eligibility/physical-presence", json=PRESENCE_API, headers=headers
        ),
        200,
    )


async def _form(person: Browser, form_path: str, action: str, fields: dict[str, str]) -> Page:
    """GET the form (for its CSRF token and submission key), read it, POST it."""
    form = expect(await person.get(form_path), 200)
    data = {"csrf_token": token(form, "csrf_token"), **fields}
    key = re.search(_TOKEN.format("idempotency_key"), form.text)
    if key:
        data["idempotency_key"] = key.group(1)
    return await person.post(action, data=data)


async def applicant(person: Browser, crew: Crew) -> None:
    lang = _language(crew)
    email = f"lab-{crew.run_id}-{crew.rng.getrandbits(48):012x}@example.com"
    await _think(person, crew)
    signed = await _form(
        person,
        PAGES["sign_up"][lang],
        PAGES["sign_up"][lang],
        {"email": email, "password": PASSWORD, "confirm": PASSWORD},
    )
    expect(await person.follow(expect(signed, 303)), 200)  # "check your email"
    if crew.outbox is not None:
        link = await crew.outbox(email)
        if link is not None:
            expect(await person.get(link), 200)
    await _think(person, crew)
    # signing up signs nobody in (the same answer for every address): sign in now
    expect(
        await person.follow(
            expect(
                await _form(
                    person,
                    PAGES["sign_in"][lang],
                    PAGES["sign_in"][lang],
                    {"email": email, "password": PASSWORD},
                ),
                303,
            )
        ),
        200,
    )
    await _think(person, crew)
    started = expect(
        await _form(person, PAGES["new"][lang], PAGES["new"][lang], {"kind": "pr_interest"}), 303
    )
    base = started.headers["Location"].rsplit("/", 1)[0]
    about, plans, documents, review = (f"{base}/{step}" for step in STEPS[lang])
    for step, answers in ((about, ABOUT_YOU), (plans, PLANS)):
        await _think(person, crew)
        expect(await _form(person, step, step, answers), 303)
    files = expect(await person.get(documents), 200)
    await _think(person, crew)
    boundary = f"lab{crew.rng.getrandbits(64):016x}"
    upload = await person.post(
        f"{base}/{FILES[lang]}",
        data=_upload(files, boundary),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    expect(await person.follow(expect(upload, 303)), 200)
    await _think(person, crew)
    submitted = expect(await _form(person, review, review, {}), 303)
    receipt_page = expect(await person.follow(submitted), 200)
    found = RECEIPT.search(receipt_page.text)
    if found is None:
        raise JourneyFailed("the receipt page shows no receipt number")
    crew.acknowledged.append(Acknowledgement(email, found.group(1), person.clock()))
    await _think(person, crew)
    # later: signs out, comes back, signs in and finds the application in the list
    expect(await _form(person, PAGES["home"][lang], PAGES["sign_out"][lang], {}), 303)
    await _think(person, crew)
    signed_in = await _form(
        person,
        PAGES["sign_in"][lang],
        PAGES["sign_in"][lang],
        {"email": email, "password": PASSWORD, "next": PAGES["list"][lang]},
    )
    listing = expect(await person.follow(expect(signed_in, 303)), 200)
    if found.group(1) not in listing.text:
        raise JourneyFailed("the receipt is not in the list of applications")


def _upload(page: Page, boundary: str) -> bytes:
    """A multipart body as a browser sends it (bytes, so a retry can send it again)."""
    parts = [(name, token(page, name)) for name in ("csrf_token", "idempotency_key")]
    parts.append(("category", "identity"))
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in parts
    )
    return (
        body
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="passport.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )


async def status_checker(person: Browser, crew: Crew) -> None:
    if not crew.accounts:
        raise JourneyFailed("no seeded accounts to check the status of")
    email = crew.rng.choice(crew.accounts)
    lang = _language(crew)
    if crew.rng.random() < 0.3:
        headers = {"Accept": "application/json"}
        expect(
            await person.post(
                "/api/v1/session", headers=headers, json={"email": email, "password": PASSWORD}
            ),
            204,
        )
        listing = expect(await person.get("/api/v1/applications", headers=headers), 200).json()
        if listing:
            await _think(person, crew)
            expect(
                await person.get(f"/api/v1/applications/{listing[0]['id']}", headers=headers), 200
            )
        return
    signed = await _form(
        person,
        PAGES["sign_in"][lang],
        PAGES["sign_in"][lang],
        {"email": email, "password": PASSWORD, "next": PAGES["list"][lang]},
    )
    listing = expect(await person.follow(expect(signed, 303)), 200)
    mine = [link for link in _LINK.findall(listing.text) if re.search(r"/[0-9a-f]{16,}$", link)]
    if mine:
        await _think(person, crew)
        expect(await person.get(mine[0]), 200)


JOURNEYS: dict[str, Journey] = {
    "reader": reader,
    "tool_user": tool_user,
    "applicant": applicant,
    "status_checker": status_checker,
}


async def seed_account(person: Browser, crew: Crew, index: int) -> None:
    """Before the surge: an account with a submitted application, for status checkers,
    made through the JSON API (its receipt goes in the ledger like any other)."""
    email = f"lab-{crew.run_id}-seed-{index:04d}@example.com"
    headers = {"Accept": "application/json"}
    expect(
        await person.post(
            "/api/v1/accounts", headers=headers, json={"email": email, "password": PASSWORD}
        ),
        202,
    )
    expect(
        await person.post(
            "/api/v1/session", headers=headers, json={"email": email, "password": PASSWORD}
        ),
        204,
    )
    answers = {k: v for k, v in {**ABOUT_YOU, **PLANS}.items() if v}
    created = expect(
        await person.post(
            "/api/v1/applications",
            json={"kind": "pr_interest", "answers": answers},
            headers={**headers, "Idempotency-Key": f"lab-seed-{crew.run_id}-{index:04d}"},
        ),
        200,
        201,
    ).json()
    crew.acknowledged.append(Acknowledgement(email, created["receipt_number"], person.clock()))
    crew.accounts.append(email)

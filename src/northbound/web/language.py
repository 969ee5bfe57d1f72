"""Which language a request is in: from its path first, then from its Accept-Language header.

Every page of the site lives under ``/en/`` or ``/fr/``, so the path is the answer wherever it
names a language; the header is consulted only for addresses that name none (the error pages
of ``/api/...``, ``/staff/console``). Both rules live here and nowhere else.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from northbound.settings import LANGUAGES, Language

MAX_HEADER_CHARS = 512
"""Longer Accept-Language headers are read only this far: no browser sends more."""

_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
"""RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals; nothing else is one."""


LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "fr": "French"}
"""What each language is called in a sentence (English; pages translate it). The language
switch names the other language in its own words instead (Français, English)."""


def other(language: Language) -> Language:
    """The twin of ``language``: every page has exactly one."""
    return "fr" if language == "en" else "en"


def path_language(path: str) -> Language | None:
    """The language the first segment of ``path`` names (``/fr``, ``/fr/...``), if any."""
    segment = path.lstrip("/").split("/", 1)[0]
    return segment if segment in LANGUAGES else None


def page_language(request: Request) -> Language:
    """The language of a bilingual page. Only routes under ``/en/`` or ``/fr/`` ask, so the
    English fallback is never taken in practice; it keeps the type total."""
    return path_language(request.url.path) or "en"


def request_language(request: Request, default: Language) -> Language:
    """The path's language, else the browser's preference, else ``default``."""
    return path_language(request.url.path) or negotiate_language(
        request.headers.get("accept-language"), default
    )


def _weight(params: list[str]) -> float | None:
    """The item's ``q`` weight (1 when absent); None when it is malformed.

    A malformed weight (``q=high``, ``q=2``, ``q=.5``) is not read as some number: the item
    is dropped, as if the browser had not listed it, so a broken header can never promote a
    language over one it weighted properly.
    """
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else None
    return 1.0


def negotiate_language(accept_language: str | None, default: Language) -> Language:
    """The site language the browser weights highest in ``accept_language``.

    Only the primary subtag counts (``fr-CA`` is French); ``q=0`` means "not this one"; on a
    tie the one listed first wins; with nothing usable the answer is ``default``.
    """
    if not accept_language:
        return default
    best: tuple[float, Language] | None = None
    for item in accept_language[:MAX_HEADER_CHARS].split(","):
        tag, *params = item.split(";")
        primary = tag.strip().lower().split("-", 1)[0]
        weight = _weight(params)
        if primary not in LANGUAGES or not weight:
            continue
        if best is None or weight > best[0]:
            best = (weight, "fr" if primary == "fr" else "en")
    return best[1] if best else default

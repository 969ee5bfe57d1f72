"""Which language a page or an error is in, for the site's routes.

Every page of the site lives under ``/en/`` or ``/fr/``, so the path is the answer wherever it
names a language; the header is consulted only for addresses that name none (the error pages
of ``/api/...``, ``/staff/console``). The reading itself is :mod:`northbound.surge.language`'s,
the same the waiting room uses; this module applies it to a Starlette request.
"""

from __future__ import annotations

from starlette.requests import Request

from northbound.settings import Language
from northbound.surge import language as reader
from northbound.surge.language import negotiate_language as negotiate_language
from northbound.surge.language import path_language as path_language

LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "fr": "French"}
"""What each language is called in a sentence (English; pages translate it). The language
switch names the other language in its own words instead (Français, English)."""


def other(language: Language) -> Language:
    """The twin of ``language``: every page has exactly one."""
    return "fr" if language == "en" else "en"


def page_language(request: Request) -> Language:
    """The language of a bilingual page. Only routes under ``/en/`` or ``/fr/`` ask, so the
    English fallback is never taken in practice; it keeps the type total."""
    return path_language(request.url.path) or "en"


def request_language(request: Request, default: Language) -> Language:
    """The path's language, else the browser's preference, else ``default``."""
    return reader.request_language(
        request.url.path, request.headers.get("accept-language"), default
    )

"""Which of the two languages a request is in: the one its path names, else the browser's.

The one reader of a request's language for every layer. It sits at the bottom, in surge,
because the waiting room and the shed page answer before the site runs and must already
answer in the visitor's language; the site's web layer (:mod:`northbound.web.language`) uses
the same functions, so a header can never be read one way by the room and another by a page.

Both functions are on the waiting room's poll path, so they are plain string tests, and the
header's verdict is remembered: browsers send a handful of distinct values.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")

_BY_TAG: dict[str, Lang] = {lang: lang for lang in LANGUAGES}

MAX_HEADER_CHARS = 512
"""Longer Accept-Language headers are read only this far: no browser sends more, and the
remembered verdicts are keyed by what was read, so a long made-up header costs no memory."""

_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
"""RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals; nothing else is one."""


def path_language(path: str) -> Lang | None:
    """The language the first segment of a normalised ``path`` names (``/fr``, ``/fr/...``)."""
    if path == "/fr" or path.startswith("/fr/"):
        return "fr"
    if path == "/en" or path.startswith("/en/"):
        return "en"
    return None


def negotiate_language(accept_language: str | None, default: Lang = "en") -> Lang:
    """The language the browser weights highest in ``accept_language`` (RFC 9110 §12.5.4).

    Only the primary subtag counts (``fr-CA`` is French); ``q=0`` means "not this one"; on a
    tie the one listed first wins; with nothing usable the answer is ``default``.
    """
    if not accept_language:
        return default
    return _negotiate(accept_language[:MAX_HEADER_CHARS], default)


def request_language(path: str, accept_language: str | None, default: Lang = "en") -> Lang:
    """The path's language, else the browser's preference, else ``default``."""
    return path_language(path) or negotiate_language(accept_language, default)


@lru_cache(maxsize=4096)
def _negotiate(accept_language: str, default: Lang) -> Lang:
    best: tuple[float, Lang] | None = None
    for item in accept_language.split(","):
        tag, *params = item.split(";")
        primary = tag.strip().lower().split("-", 1)[0]
        lang = _BY_TAG.get(primary)
        if lang is None:
            continue
        weight = _weight(params)
        if weight and (best is None or weight > best[0]):
            best = (weight, lang)
    return best[1] if best else default


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

"""What the gate reads from a request before anything else: one cookie, one header, the language.

Plain functions over the raw ASGI headers, without a full parse: they run on every poll.
"""

from __future__ import annotations

from functools import lru_cache

from starlette.types import Scope

from .wording import Lang


def cookie_value(header: str, name: str) -> str:
    """One cookie's value from a Cookie header ('' when absent); the first one wins."""
    start = 0
    while True:
        found = header.find(name, start)
        if found < 0:
            return ""
        end_of_name = found + len(name)
        before = header[found - 1] if found else ";"
        if (before in "; ") and header.startswith("=", end_of_name):
            value_end = header.find(";", end_of_name)
            value = header[end_of_name + 1 : value_end if value_end >= 0 else None]
            return value.strip().strip('"')
        start = end_of_name


def header_value(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return ""


def path_language(path: str) -> Lang | None:
    """The language a normalised path names (/fr/..., /en/...), if any."""
    if path == "/fr" or path.startswith("/fr/"):
        return "fr"
    if path == "/en" or path.startswith("/en/"):
        return "en"
    return None


def language(path: str, accept_language: str) -> Lang:
    return path_language(path) or (preferred_language(accept_language) if accept_language else "en")


@lru_cache(maxsize=4096)  # browsers send a handful of distinct Accept-Language values
def preferred_language(accept_language: str) -> Lang:
    best: tuple[float, Lang] = (0.0, "en")
    for item in accept_language.split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower()[:2]
        if primary not in ("en", "fr"):
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > best[0]:
            best = (quality, "fr" if primary == "fr" else "en")
    return best[1]

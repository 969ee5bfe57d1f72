"""The room's words: its catalogs, and numbers and waits worded as people read them.

English is the source language; French is in ``translations/fr/LC_MESSAGES/waiting_room.po``
(why the room carries its own catalog: see :mod:`.page`).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from northbound.surge.language import Lang

TRANSLATIONS = Path(__file__).with_name("translations")


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> text of one language, from its ``waiting_room.po`` (empty for English)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "waiting_room.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def _(lang: Lang, message: str) -> str:
    return catalog(lang).get(message) or message


def format_number(value: int, lang: Lang) -> str:
    """Digits grouped by threes: "1,234" in English, "1 234" with a no-break space (U+00A0,
    as the site writes French numbers, CLDR's fr-CA) in French."""
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if lang == "fr" else text


def number_bytes(value: int, lang: Lang) -> bytes:
    return format_number(value, lang).encode()


def shown_seconds(seconds: int) -> int:
    """The wait as it is worded, in seconds: to the second under a minute, to 5 s under
    three, to 15 s under ten, to the minute beyond. The step stays under a tenth of the wait
    (so rounding alone is off by at most 5 %): a page that could only say "less than a
    minute" or "3 minutes" was off by a fifth or more on every short wait, and short waits are
    where people decide whether to stay. (Rounding to 5 s below two minutes still made "15
    seconds" of a 13-second wait, the most common first estimate in a crowd run.)"""
    if seconds < 60:
        return max(1, seconds)
    if seconds < 180:
        return 5 * round(seconds / 5)
    if seconds < 600:
        return 15 * round(seconds / 15)
    return 60 * round(seconds / 60)


def format_duration(seconds: int, lang: Lang) -> str:
    return format_shown(shown_seconds(seconds), lang)


@lru_cache(maxsize=4096)
def format_shown(seconds: int, lang: Lang) -> str:
    if seconds == 1:
        return _(lang, "1 second")
    if seconds < 120:
        return _(lang, "{n} seconds").format(n=seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes < 120:
        worded = _(lang, "{n} minutes").format(n=minutes)
        if not rest:
            return worded
        return worded + _(lang, " and ") + _(lang, "{n} seconds").format(n=rest)
    return _(lang, "{h} h {m:02d} min").format(h=minutes // 60, m=minutes % 60)

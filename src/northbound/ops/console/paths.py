"""The console's addresses in both languages, under the staff area of each."""

from __future__ import annotations

from northbound.settings import Language

CONSOLE_PATHS: dict[str, dict[Language, str]] = {
    "console": {"en": "/en/account/staff/console", "fr": "/fr/compte/personnel/console"},
    "notice": {"en": "/en/account/staff/console/notice", "fr": "/fr/compte/personnel/console/avis"},
    "room": {"en": "/en/account/staff/console/room", "fr": "/fr/compte/personnel/console/salle"},
    "rate": {"en": "/en/account/staff/console/rate", "fr": "/fr/compte/personnel/console/debit"},
}
SHORT_PATH = "/staff/console"
# The waiting room must never queue the operator who runs it.
ROOM_EXEMPT_PREFIXES = (
    SHORT_PATH,
    *(paths[lang] for paths in (CONSOLE_PATHS["console"],) for lang in ("en", "fr")),
)

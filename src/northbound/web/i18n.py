"""Translations: gettext catalogs read from the ``.po`` files at start-up.

Every ``*.po`` file under ``translations/<lang>/LC_MESSAGES/`` is merged into that language's
catalog, so each feature keeps its strings in its own file. English is the source language.
Reading the ``.po`` files directly (with Babel) means no compile step is needed to run the site.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from northbound.settings import Language

TRANSLATIONS_DIR = Path(__file__).with_name("translations")


class Translations:
    """gettext/ngettext for one language, as Jinja2's i18n extension expects them."""

    def __init__(self, language: str, singular: dict[str, str], plural: dict[str, list[str]]):
        self.language = language
        self._singular = singular
        self._plural = plural

    def gettext(self, message: str) -> str:
        return self._singular.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plural.get(singular)
        # English and French both have two forms; French uses the singular for 0 and 1.
        if forms and len(forms) >= 2 and all(forms):
            if self.language == "fr":
                return forms[0] if n <= 1 else forms[1]
            return forms[0] if n == 1 else forms[1]
        return singular if n == 1 else plural


def _load(language: str, root: Path) -> Translations:
    singular: dict[str, str] = {}
    plural: dict[str, list[str]] = {}
    folder = root / language / "LC_MESSAGES"
    for po_file in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple | list):
                forms = [str(s) for s in message.string] if message.string else []
                plural[str(message.id[0])] = forms
            elif message.string:
                singular[str(message.id)] = str(message.string)
    return Translations(language, singular, plural)


@cache
def translations(language: Language, root: Path = TRANSLATIONS_DIR) -> Translations:
    return _load(language, root)


def gettext(language: Language, message: str) -> str:
    """Translate one message outside templates (e.g. in error handlers)."""
    return translations(language).gettext(message)


THOUSANDS_SEPARATOR: dict[Language, str] = {"en": ",", "fr": "\u00a0"}
"""How each language groups digits: 1,095 in English, 1 095 in French, with a space a line
cannot break at (Canadian French, as CLDR has it for fr-CA)."""


def write_number(language: Language, value: int) -> str:
    """A whole number as a reader of ``language`` writes it."""
    return f"{value:,}".replace(",", THOUSANDS_SEPARATOR[language])

"""The application types the processing-times tool knows, and the countries it offers.

A type whose time depends on where the person applies from (visas and permits are processed by
the office that serves their country) asks for the country; the others have one estimate.
``queue`` names the portal's own application kind when this site runs that queue itself: its
estimate can then be measured from our own decisions, and a person can be told how many
applications are ahead of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale

from northbound.settings import Language


@dataclass(frozen=True, slots=True)
class ApplicationType:
    code: str
    title: str  # English; French comes from the catalogue
    by_country: bool = False
    queue: str | None = None


TYPES: tuple[ApplicationType, ...] = (
    ApplicationType("express_entry", "Express Entry (permanent residence)"),
    ApplicationType("provincial_nominee_ee", "Provincial nominees through Express Entry"),
    ApplicationType("provincial_nominee", "Provincial nominees outside Express Entry"),
    ApplicationType("spouse_partner", "Sponsorship of a spouse or partner"),
    ApplicationType("parents_grandparents", "Sponsorship of parents and grandparents"),
    ApplicationType("work_permit", "Work permit (from outside the country)", by_country=True),
    ApplicationType("study_permit", "Study permit (from outside the country)", by_country=True),
    ApplicationType("visitor_visa", "Visitor visa (from outside the country)", by_country=True),
    ApplicationType("citizenship", "Citizenship grant (adults)", queue="citizenship"),
    ApplicationType(
        "pr_interest", "Permanent residence: expression of interest", queue="pr_interest"
    ),
)
BY_CODE: dict[str, ApplicationType] = {kind.code: kind for kind in TYPES}

# Babel's territory list also holds regions and codes reserved for other uses; none of them is
# a place a person applies from.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
LOCALES: dict[Language, str] = {"en": "en_CA", "fr": "fr_CA"}
"""Babel locales of the site's languages (Canadian English and French: names, dates)."""


@cache
def countries(language: Language) -> tuple[tuple[str, str], ...]:
    """(ISO 3166 code, name) pairs in ``language``, sorted by name as a reader expects."""
    names = Locale.parse(LOCALES[language]).territories
    pairs = [
        (code, str(name))
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


@cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries("en"))


def country_name(code: str, language: Language) -> str:
    return dict(countries(language)).get(code, code)


def _sort_key(name: str) -> str:
    # "Égypte" sorts with the E's, not after Z.
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))

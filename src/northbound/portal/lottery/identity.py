"""Who a form is about: exact duplicates (refused) and likely duplicates (flagged for staff).

Exact duplicate: the same *normalised identity* (names without accents, case, punctuation or
extra spaces, plus the date of birth), or the same status document number, already has a form
in this intake. Such a form is refused at submission, with a message.

Likely duplicate: two forms that are not identical but probably name the same sponsor
("Marie-Eve Tremblay" / "Marie Ève Tremblay-Roy", or "Jon Smith" / "John Smith" born the same
day). Found when the intake closes; staff decide, because only a person can tell twins or
namesakes from one person who sent two forms.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

_NOT_LETTER = re.compile(r"[^a-z]+")
# Names this close (difflib ratio of the letter strings) on the same birth date are flagged.
NAME_SIMILARITY = 0.85


def fold(text: str) -> str:
    """Lower case ASCII letters and single spaces: "  Marie-Ève O'Brien" -> "marie eve o brien"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_LETTER.sub(" ", bare).strip()


def identity_key(family_name: str, given_names: str, date_of_birth: str) -> str:
    """The normalised identity, hashed (fixed length, and no names in an index)."""
    text = f"v1|{fold(family_name)}|{fold(given_names)}|{date_of_birth}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_key(number: str) -> str:
    """Status document numbers compared on letters and digits only, upper case."""
    compact = "".join(c for c in number.upper() if c.isascii() and c.isalnum())
    return hashlib.sha256(f"v1|{compact}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Person:
    """The parts of a form that duplicate detection looks at."""

    entry_id: int
    family_name: str
    given_names: str
    date_of_birth: str
    email: str
    address: str
    postal_code: str


@dataclass(frozen=True, slots=True)
class LikelyDuplicate:
    first_id: int  # the earlier form (smaller id)
    second_id: int
    reason: str


def _letters(person: Person) -> str:
    return "".join(sorted(fold(f"{person.given_names} {person.family_name}").split()))


def _name_words(person: Person) -> set[str]:
    return set(fold(f"{person.given_names} {person.family_name}").split())


def _same_person_reason(a: Person, b: Person) -> str | None:
    """Why ``a`` and ``b`` (same birth date) look like one sponsor, or None."""
    words_a, words_b = _name_words(a), _name_words(b)
    if words_a and words_b and (words_a <= words_b or words_b <= words_a):
        return "Same date of birth; one name contains the other"
    ratio = SequenceMatcher(None, _letters(a), _letters(b)).ratio()
    if ratio >= NAME_SIMILARITY:
        return f"Same date of birth; names {round(ratio * 100)}% alike"
    if fold(a.address) == fold(b.address) and a.postal_code == b.postal_code:
        return "Same date of birth and the same address"
    return None


def likely_duplicates(people: Iterable[Person]) -> list[LikelyDuplicate]:
    """Pairs worth a staff member's look, each pair once, earliest form first.

    Compared within blocks (same birth date; same email address) rather than all pairs, so
    100,000 forms cost a few million comparisons at most, not five billion.
    """
    by_birth: dict[str, list[Person]] = defaultdict(list)
    by_email: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        by_birth[person.date_of_birth].append(person)
        by_email[person.email.strip().lower()].append(person)
    found: dict[tuple[int, int], str] = {}
    for group in by_birth.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                reason = _same_person_reason(a, b)
                if reason is not None:
                    found[_pair(a, b)] = reason
    for group in by_email.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                found.setdefault(_pair(a, b), "Same email address")
    return [
        LikelyDuplicate(first, second, reason) for (first, second), reason in sorted(found.items())
    ]


def _pair(a: Person, b: Person) -> tuple[int, int]:
    return (a.entry_id, b.entry_id) if a.entry_id < b.entry_id else (b.entry_id, a.entry_id)

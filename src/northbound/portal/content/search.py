"""A small in-memory search over the information pages (no database, no external engine).

Words are folded (case, accents) so "citoyennete" finds "citoyenneté"; a page scores by how
many query words it contains, with title matches counting more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from northbound.portal.content.loader import Page
from northbound.settings import Language

WORD = re.compile(r"[a-z0-9]+")
MAX_QUERY_WORDS = 12


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> set[str]:
    return set(WORD.findall(fold(text)))


@dataclass(frozen=True, slots=True)
class SearchResult:
    title: str
    summary: str
    href: str
    score: int


class SearchIndex:
    def __init__(self, pages: Iterable[Page]) -> None:
        self._entries: list[tuple[Page, set[str], set[str]]] = [
            (page, words(page.title), words(page.text)) for page in pages
        ]

    def search(self, language: Language, query: str, limit: int = 20) -> list[SearchResult]:
        terms = list(words(query))[:MAX_QUERY_WORDS]
        if not terms:
            return []
        results: list[SearchResult] = []
        for page, title_words, body_words in self._entries:
            if page.language != language:
                continue
            score = 0
            for term in terms:
                # Prefix match lets "sponsor" find "sponsorship".
                if any(w.startswith(term) for w in title_words):
                    score += 3
                if term in body_words or any(w.startswith(term) for w in body_words):
                    score += 1
            if score:
                results.append(SearchResult(page.title, page.summary, page.path, score))
        results.sort(key=lambda r: (-r.score, r.title))
        return results[:limit]

"""A small in-memory search over the information pages (no database, no external engine).

Words are folded (case, accents) so "citoyennete" finds "citoyenneté"; a page scores by how
many query words it contains, with title matches counting more.

A query word matches any word it begins ("sponsor" finds "sponsorship"). Each page keeps its
words sorted, so the words a term begins sit together right where the term itself would be
sorted in: one binary search a term and page, where trying every word of every page cost a
reader's search about a quarter of its time.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
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


def begins_a_word(sorted_words: tuple[str, ...], term: str) -> bool:
    """Whether ``term`` begins one of ``sorted_words`` (itself included)."""
    at = bisect_left(sorted_words, term)
    return at < len(sorted_words) and sorted_words[at].startswith(term)


class SearchIndex:
    def __init__(self, pages: Iterable[Page]) -> None:
        self._entries: list[tuple[Page, tuple[str, ...], tuple[str, ...]]] = [
            (page, tuple(sorted(words(page.title))), tuple(sorted(words(page.text))))
            for page in pages
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
                if begins_a_word(title_words, term):
                    score += 3
                if begins_a_word(body_words, term):
                    score += 1
            if score:
                results.append(SearchResult(page.title, page.summary, page.path, score))
        results.sort(key=lambda r: (-r.score, r.title))
        return results[:limit]

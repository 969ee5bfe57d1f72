"""The information pages' search: a term matches every word it begins, found by binary search."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.content.search import begins_a_word, words

WORD = st.text(alphabet="abcdez019", min_size=1, max_size=6)


@given(st.sets(WORD, max_size=30), WORD)
def test_a_term_begins_a_word_exactly_when_some_word_starts_with_it(
    page_words: set[str], term: str
) -> None:
    expected = any(word.startswith(term) for word in page_words)
    assert begins_a_word(tuple(sorted(page_words)), term) == expected


def test_prefixes_whole_words_and_folded_accents() -> None:
    page = tuple(sorted(words("Sponsorship of parents; la citoyenneté canadienne")))
    assert begins_a_word(page, "sponsor") and begins_a_word(page, "sponsorship")
    assert begins_a_word(page, "citoyennete")  # folded on both sides
    assert not begins_a_word(page, "ponsor")  # inside a word is not a match
    assert not begins_a_word(page, "sponsorships")
    assert not begins_a_word((), "a")

"""Marking user-visible English strings for translation without translating them here.

Rule modules stay free of any i18n machinery: they return English message ids (with
``%(name)s`` placeholders) and the web layer looks them up in the catalogue. ``N_`` only
marks a literal so Babel's extractor finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Return ``message`` unchanged; marks it for extraction."""
    return message


@dataclass(frozen=True, slots=True)
class Message:
    """An English message id and the values for its placeholders.

    ``figures`` are the rule constants a message quotes (1,095 days, 600 points): they are
    kept out of the message id, so a rule changed in one place changes every sentence that
    states it, and they are written the way the reader's language writes numbers.
    """

    msgid: str
    params: dict[str, str | int | float] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)

    def render(
        self, translate: object = None, write_number: Callable[[int], str] = "{:,}".format
    ) -> str:
        """Format with ``translate`` (a gettext callable) or in English when it is None;
        ``write_number`` writes the figures (English digit grouping by default)."""
        text = translate(self.msgid) if callable(translate) else self.msgid
        values = {**self.params, **{k: write_number(v) for k, v in self.figures.items()}}
        return str(text) % values if values else str(text)


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule broken by the input: where (a path like ``("absences", 0, "return")``) and why."""

    path: tuple[str | int, ...]
    message: Message

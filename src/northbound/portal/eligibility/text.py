"""Marking user-visible English strings for translation without translating them here.

Rule modules stay free of any i18n machinery: they return English message ids (with
``%(name)s`` placeholders) and the web layer looks them up in the catalogue. ``N_`` only
marks a literal so Babel's extractor finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Return ``message`` unchanged; marks it for extraction."""
    return message


@dataclass(frozen=True, slots=True)
class Message:
    """An English message id and the values for its placeholders."""

    msgid: str
    params: dict[str, str | int | float] = field(default_factory=dict)

    def render(self, translate: object = None) -> str:
        """Format with ``translate`` (a gettext callable) or in English when it is None."""
        text = translate(self.msgid) if callable(translate) else self.msgid
        return str(text) % self.params if self.params else str(text)


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule broken by the input: where (a path like ``("absences", 0, "return")``) and why."""

    path: tuple[str | int, ...]
    message: Message

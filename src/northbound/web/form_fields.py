"""Reading one text field of a posted form, the two ways the portal's pages do.

A form field may be missing, repeated or (in a hand-made request) a file; a page wants a string
either way, and never more of it than it will look at. ``clipped`` keeps the value as typed;
``trimmed`` strips surrounding spaces and keeps one character past the limit, so a length check
after it can still tell "too long" from "just right".
"""

from __future__ import annotations

from starlette.datastructures import FormData


def clipped(form: FormData, name: str, limit: int) -> str:
    """The field's text as sent, at most ``limit`` characters; "" when it is not text."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def trimmed(form: FormData, name: str, limit: int) -> str:
    """The field's text without surrounding spaces, at most ``limit`` + 1 characters."""
    value = form.get(name)
    return value[: limit + 1].strip() if isinstance(value, str) else ""

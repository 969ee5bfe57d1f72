"""Finding things in pages and mails."""

from __future__ import annotations

import re


def found(pattern: str | re.Pattern[str], text: str, group: int = 1) -> str:
    """The ``group`` of the first match of ``pattern`` in ``text``; the test fails without one."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found"
    return match.group(group)

"""How much a request matters when there is not room for everyone."""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    """Criticality of a request. Lower values are admitted first and shed last.

    * ``CRITICAL``: finishes something already started (a form submit, an upload).
    * ``NORMAL``: someone already inside (holds a pass or a session) browsing on.
    * ``SHEDDABLE``: an anonymous newcomer or a crawler; the first to be turned away.
    """

    CRITICAL = 0
    NORMAL = 1
    SHEDDABLE = 2

    @property
    def label(self) -> str:
        return self.name.lower()

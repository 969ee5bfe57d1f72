"""Words the lottery writes outside templates: inbox messages and the countdown."""

from __future__ import annotations

from datetime import datetime

from northbound.settings import Language
from northbound.web.i18n import gettext


def invitation_message(
    language: Language, confirmation: str, deadline: datetime
) -> tuple[str, str]:
    """(subject, body) of the inbox message an invited sponsor receives."""
    subject = gettext(language, "Invitation to apply to sponsor your parents or grandparents")
    body = gettext(
        language,
        "Your interest-to-sponsor form {confirmation} was selected in the draw. You are "
        "invited to submit a complete sponsorship application. Apply by {deadline} (60 days "
        "from today). This invitation cannot be transferred to anyone else.",
    ).format(confirmation=confirmation, deadline=deadline.strftime("%Y-%m-%d %H:%M UTC"))
    return subject, body


def countdown(language: Language, opens_at: datetime, now: datetime) -> str:
    """ "3 days, 4 hours and 5 minutes" until the opening (rounded up to the minute)."""
    seconds = max(0, int((opens_at - now).total_seconds()))
    minutes_total = -(-seconds // 60)
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return gettext(language, "{days} d {hours} h {minutes} min").format(
        days=days, hours=hours, minutes=minutes
    )

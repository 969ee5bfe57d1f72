"""The console's controls: the waiting room, its admission rate, the notice banner.

Each action is checked, applied to the shared state (Redis or the room's store, the notice
table) and written to the staff audit table with who did it and what changed. The room's own
``Controls`` are the same ones the admin API and ``northbound room`` use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from northbound.portal import notices
from northbound.portal.accounts.models import User
from northbound.portal.applications.models import StaffViewAudit
from northbound.storage.database import Database
from northbound.surge.waiting_room import WaitingRoom
from northbound.surge.waiting_room.store import Controls

log = logging.getLogger("northbound.audit")
AUDIT_PREFIX = "console:"
MAX_PER_MINUTE = 1_000_000

ROOM_ACTIONS: dict[str, Callable[[], Controls]] = {
    "open": lambda: Controls(mode="on"),
    "close": lambda: Controls(mode="off", release_all=True),
    "auto": lambda: Controls(mode="auto"),
    "pause": lambda: Controls(paused=True),
    "resume": lambda: Controls(paused=False),
}
RATE_KINDS = ("cap", "fixed")
ACTION_LABELS: dict[str, str] = {
    "room:open": "Open (queue newcomers)",
    "room:close": "Close (let everyone in)",
    "room:auto": "Automatic",
    "room:pause": "Pause admissions",
    "room:resume": "Resume admissions",
    "rate:cap": "Cap: at most this many (the closed loop still decides)",
    "rate:fixed": "Fixed: exactly this many",
    "notice:set": "Notice banner published",
    "notice:clear": "Notice banner removed",
}
"""What each console action (as audited, without the prefix) reads as: the room's buttons
and the history both (English; pages translate it)."""


class ActionRefused(ValueError):
    """Bad input for a control: the message says what to change (shown next to the form)."""


@dataclass
class AuditEntry:
    at: datetime
    who: str
    action: str
    detail: str


def parse_rate(kind: str, value: str) -> Controls:
    """A cap or fixed rate from the form; an empty value removes it."""
    if kind not in RATE_KINDS:
        raise ActionRefused("Choose a cap or a fixed rate.")
    value = value.strip().replace(",", "").replace(" ", "")
    if not value:
        per_minute = -1  # the store's "remove"
    elif value.isascii() and value.isdigit() and int(value) <= MAX_PER_MINUTE:
        per_minute = int(value)
    else:
        raise ActionRefused(
            "Enter a whole number of people per minute from 0 to 1,000,000, "
            "or leave it empty to remove the limit."
        )
    if kind == "cap":
        return Controls(admit_cap_per_minute=per_minute)
    return Controls(fixed_rate_per_minute=per_minute)


async def audit(db: Database, staff_id: int, action: str, detail: str, now: datetime) -> bool:
    """Write the audit row; if the database is down, the log line is the record."""
    log.info(
        "console action", extra={"staff_user_id": staff_id, "action": action, "detail": detail}
    )
    try:
        async with db.session() as session, session.begin():
            session.add(
                StaffViewAudit(
                    staff_user_id=staff_id,
                    application_id=None,
                    action=(AUDIT_PREFIX + action)[:32],
                    detail=detail[:400],
                    at=now,
                )
            )
    except Exception as error:  # the action itself must not depend on the database
        log.warning("console audit not stored", extra={"error": type(error).__name__})
        return False
    return True


async def room_action(room: WaitingRoom, action: str) -> str:
    make = ROOM_ACTIONS.get(action)
    if make is None:
        raise ActionRefused("Choose one of the room's controls.")
    await room.store.update_controls(make())
    await room.refresh()
    return f"room {action}"


async def rate_action(room: WaitingRoom, kind: str, value: str) -> str:
    controls = parse_rate(kind, value)
    await room.store.update_controls(controls)
    await room.refresh()
    shown = value.strip() or "removed"
    return f"{kind} {shown}"


async def notice_action(db: Database, english: str, french: str, level: str, clear: bool) -> str:
    if clear:
        await notices.clear_notice(db)
        return "notice cleared"
    try:
        await notices.set_notice(db, english, french, level)
    except ValueError as error:
        raise ActionRefused(str(error)) from None
    return f"[{level}] EN: {english.strip()} | FR: {french.strip()}"


async def recent(db: Database, limit: int = 20) -> list[AuditEntry]:
    """The last console actions, newest first, with the staff member's email."""
    async with db.session() as session:
        rows = await session.execute(
            select(StaffViewAudit, User.email)
            .join(User, User.id == StaffViewAudit.staff_user_id)
            .where(StaffViewAudit.action.like(AUDIT_PREFIX + "%"))
            .order_by(StaffViewAudit.id.desc())
            .limit(limit)
        )
        return [
            AuditEntry(row.at, email, row.action.removeprefix(AUDIT_PREFIX), row.detail or "")
            for row, email in rows
        ]

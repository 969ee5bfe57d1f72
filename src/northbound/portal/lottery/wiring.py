"""One call that plugs the lottery into the app (``install_lottery``), and the link from an
intake's opening to the waiting room's scheduled pre-queue."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from northbound.portal.lottery import routes, staff_routes
from northbound.surge.waiting_room import WaitingRoom
from northbound.surge.waiting_room.store import Controls


def room_scheduler(room: WaitingRoom) -> staff_routes.ScheduleOpening:
    """Schedule ``room``'s opening, exactly what ``POST /api/v1/admin/room/schedule`` does:
    the room switches on, early arrivals join the pre-queue and get a random order at the
    opening (``surge/waiting_room/prequeue.py``), later arrivals queue first come, first
    served."""

    async def schedule(opens_at: datetime) -> bool:
        await room.store.update_controls(Controls(opens_at=opens_at.timestamp(),
                                                  auto_active=True))
        await room.refresh()
        return True

    return schedule


def install_lottery(app: FastAPI, room: WaitingRoom | None) -> None:
    """Needs ``install_portal_accounts`` first (sessions, CSRF, the inbox)."""
    app.state.lottery_schedule = room_scheduler(room) if room is not None else None
    app.include_router(staff_routes.router)
    app.include_router(routes.router)
    app.include_router(routes.api_router)

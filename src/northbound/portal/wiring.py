"""The portal plugged into the app, in one place: each ``install_*`` says what it adds.

Pages come in language pairs (:class:`~northbound.web.bilingual.BilingualRouter`), included
with :func:`~northbound.web.bilingual.include_pages` so that the site's table of twins
(``app.state.twins``) knows every one of them.

Order matters twice. Accounts come before everything that has a signed-in page (the session
store, CSRF and the inbox live on ``app.state.accounts``). And routers are matched in the order
they are included, so fixed addresses come before the patterns that would swallow them:
``/applications/new`` must not be taken for an application id.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from northbound.portal.accounts import routes as account_routes
from northbound.portal.accounts.state import AccountsState
from northbound.portal.applications import api as application_api
from northbound.portal.applications import document_routes as application_document_routes
from northbound.portal.applications import message_routes as application_message_routes
from northbound.portal.applications import routes as application_routes
from northbound.portal.applications import staff_routes as application_staff_routes
from northbound.portal.applications.storage import LocalDiskStore
from northbound.portal.contact import routes as contact_routes
from northbound.portal.content import routes as content_routes
from northbound.portal.eligibility.api import api_router as eligibility_api
from northbound.portal.eligibility.pages import pages as eligibility_pages
from northbound.portal.eligibility.questionnaire_pages import pages as questionnaire_pages
from northbound.portal.lottery import routes as lottery_routes
from northbound.portal.lottery import staff_routes as lottery_staff_routes
from northbound.surge.waiting_room import WaitingRoom
from northbound.surge.waiting_room.store import Controls
from northbound.web.bilingual import include_pages


def install_portal(app: FastAPI, room: WaitingRoom | None) -> None:
    """Every portal section. Needs ``app.state.settings``, ``db`` and ``templates``;
    ``room`` is the waiting room when one is active (the lottery schedules its opening)."""
    install_content_search(app)
    install_eligibility_tools(app)
    install_accounts(app)
    install_applications(app)
    install_lottery(app, room)
    install_contact(app)


def install_content_search(app: FastAPI) -> None:
    """Search and the bare ``/en``, ``/fr`` redirects (the pages themselves are cached)."""
    include_pages(app, content_routes.pages)


def install_eligibility_tools(app: FastAPI) -> None:
    """The calculators' JSON API and their pages."""
    app.include_router(eligibility_api)
    include_pages(app, eligibility_pages, questionnaire_pages)


def install_accounts(app: FastAPI) -> None:
    """``app.state.accounts`` (sessions, password hashing) and the account pages."""
    app.state.accounts = AccountsState.build(app.state.settings, app.state.db, app.state.templates)
    include_pages(app, account_routes.pages)


def install_applications(app: FastAPI) -> None:
    """The document store, the staff pages, the applicant's pages and the JSON API."""
    app.state.documents = LocalDiskStore(app.state.settings.data_dir / "uploads")
    # the document pages before the step pages: ``.../files`` is not a step
    include_pages(
        app,
        application_staff_routes.pages,
        application_document_routes.pages,
        application_routes.pages,
        application_message_routes.pages,
    )
    app.include_router(application_api.router)


def install_contact(app: FastAPI) -> None:
    """The contact form for people without an account, and its staff page."""
    include_pages(app, contact_routes.pages)


def room_scheduler(room: WaitingRoom) -> lottery_staff_routes.ScheduleOpening:
    """Schedule ``room``'s opening, exactly what ``POST /api/v1/admin/room/schedule`` does:
    the room switches on, early arrivals join the pre-queue and get a random order at the
    opening (``surge/waiting_room/prequeue.py``), later arrivals queue first come, first
    served."""

    async def schedule(opens_at: datetime) -> bool:
        await room.store.update_controls(Controls(opens_at=opens_at.timestamp(), auto_active=True))
        await room.refresh()
        return True

    return schedule


def install_lottery(app: FastAPI, room: WaitingRoom | None) -> None:
    """The lottery's staff and public pages and its draw document; an intake created by
    staff schedules ``room``'s opening when there is a room."""
    app.state.lottery_schedule = room_scheduler(room) if room is not None else None
    include_pages(app, lottery_staff_routes.pages, lottery_routes.pages)
    app.include_router(lottery_routes.api_router)

"""One call that plugs accounts and applications into the app (``install_portal_accounts``)."""

from __future__ import annotations

from fastapi import FastAPI

from northbound.portal.accounts import routes as account_routes
from northbound.portal.accounts.state import AccountsState
from northbound.portal.applications import api, staff_routes
from northbound.portal.applications import routes as application_routes
from northbound.portal.applications.storage import LocalDiskStore


def install_portal_accounts(app: FastAPI) -> None:
    """Needs ``app.state.settings``, ``db`` and ``templates`` (set by ``create_app``)."""
    settings = app.state.settings
    app.state.accounts = AccountsState.build(settings, app.state.db, app.state.templates)
    app.state.documents = LocalDiskStore(settings.data_dir / "uploads")
    # Fixed paths first: "/applications/new" must not be taken for an application id.
    app.include_router(account_routes.router)
    app.include_router(staff_routes.router)
    app.include_router(application_routes.router)
    app.include_router(api.router)

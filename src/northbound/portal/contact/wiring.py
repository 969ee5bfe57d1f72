"""Plugging the contact form into the app (needs ``install_portal_accounts`` first)."""

from __future__ import annotations

from fastapi import FastAPI

from northbound.portal.contact import routes


def install_contact(app: FastAPI) -> None:
    app.include_router(routes.router)

"""Plugging the console into the app: its routes, its templates, its background publisher."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jinja2 import ChoiceLoader, FileSystemLoader

from northbound.ops.console.routes import router
from northbound.ops.console.state import ConsoleState
from northbound.settings import Settings
from northbound.web.templating import Templates

TEMPLATES = Path(__file__).with_name("templates")


def install_console(app: FastAPI, settings: Settings, templates: Templates) -> ConsoleState:
    """Add the console's pages; the caller starts and stops the returned state in its
    lifespan. Its templates are looked up after the site's, so they share its layout."""
    for env in templates.environments.values():
        if env.loader is not None:
            env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])
    app.include_router(router)
    state = ConsoleState.from_settings(settings, app.state.db)
    app.state.console = state
    return state

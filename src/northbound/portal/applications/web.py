"""Helpers shared by the applicant and staff pages: bilingual registration, outage pages."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from northbound.portal.accounts.paths import other, path_language
from northbound.portal.accounts.state import accounts_state
from northbound.settings import LANGUAGES
from northbound.web.i18n import gettext

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """A database outage becomes a plain "submissions are paused" page (503), never a 500."""

    @functools.wraps(handler)
    async def wrapper(request: Request, **params: Any) -> Response:
        try:
            return await handler(request, **params)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("storage unavailable", extra={"error": type(exc).__name__})
            return unavailable(request)

    return wrapper


def unavailable(request: Request) -> Response:
    language = path_language(request)
    templates = accounts_state(request).templates
    body = templates.render(
        language, "applications/unavailable.html",
        title=gettext(language, "Submissions are paused"),
        twin_href=f"/{other(language)}/",
    )
    return HTMLResponse(body, status_code=503,
                        headers={"retry-after": "30", "cache-control": "no-store"})


def bilingual(router: APIRouter, paths: dict[str, dict[str, str]]
              ) -> Callable[[str, list[str]], Callable[[Handler], Handler]]:
    def page(name: str, methods: list[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            safe = guarded(handler)
            for language in LANGUAGES:
                router.add_api_route(paths[name][language], safe, methods=methods)
            return handler

        return register

    return page

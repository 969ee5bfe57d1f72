"""Helpers shared by the applicant and staff pages: bilingual registration, outage pages."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.state import accounts_state
from northbound.settings import LANGUAGES
from northbound.web.errors import ErrorPages

Handler = Callable[..., Awaitable[Response]]
BUSY_RETRY_SECONDS = 5.0


def guarded(handler: Handler) -> Handler:
    """While the database's circuit is open, say "submissions are paused" (503) before anyone
    starts typing into a form. Outages during the handler reach the app's outage handler
    (``northbound.web.errors``) as ``DatabaseUnavailable``: never a 500."""

    @functools.wraps(handler)
    async def wrapper(request: Request, **params: Any) -> Response:
        accounts_state(request).db.raise_if_open()
        return await handler(request, **params)

    return wrapper


async def unavailable(request: Request, retry_after: float = BUSY_RETRY_SECONDS) -> Response:
    """The "submissions are paused" 503: a page for people, problem JSON under /api/."""
    errors: ErrorPages = request.app.state.errors
    return await errors.outage(request, retry_after)


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

"""Helpers shared by the applicant and staff pages: bilingual registration, outage pages."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.state import accounts_state
from northbound.settings import LANGUAGES
from northbound.storage.database import DatabaseUnavailable, is_outage
from northbound.web.errors import ErrorPages

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[Response]]
BUSY_RETRY_SECONDS = 5.0


def guarded(handler: Handler) -> Handler:
    """A database outage becomes the "submissions are paused" page (503), never a 500."""

    @functools.wraps(handler)
    async def wrapper(request: Request, **params: Any) -> Response:
        try:
            # While the circuit is open, say so before anyone starts typing into a form.
            accounts_state(request).db.raise_if_open()
            return await handler(request, **params)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("storage unavailable", extra={"error": type(exc).__name__})
            retry = exc.retry_after if isinstance(exc, DatabaseUnavailable) else 0.0
            return await unavailable(request, retry or BUSY_RETRY_SECONDS)

    return wrapper


async def unavailable(request: Request, retry_after: float = BUSY_RETRY_SECONDS) -> Response:
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

"""Staff sign-in as an authorizer for ASGI apps outside the portal's routers (the room's admin API).

The session cookie is SameSite=Lax, and a state-changing call must also say it is JSON: a
cross-site form can send neither, so a signed-in staff member's browser cannot be made to
pause the waiting room from another site.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.types import Scope

from northbound.portal.accounts.sessions import COOKIE_NAME, looks_like_token
from northbound.portal.accounts.state import AccountsState

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def staff_session_authorizer(state: AccountsState) -> Callable[[Scope], Awaitable[bool]]:
    async def authorize(scope: Scope) -> bool:
        request = Request(scope)
        token = request.cookies.get(COOKIE_NAME, "")
        if not looks_like_token(token):
            return False
        if request.method not in SAFE_METHODS:
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json":
                return False
        try:
            active = await state.sessions.load(token)
        except Exception as exc:  # database down: nobody can prove they are staff
            log.warning("staff check failed", extra={"error": type(exc).__name__})
            return False
        return active is not None and active.user.is_staff

    return authorize

"""The operator's JSON API for one room (staff only: ``authorize`` decides who that is).

Mount it wherever the site keeps admin APIs, e.g. ``/api/v1/admin/room``::

    GET  /            status
    POST /open        queue newcomers (mode on)        POST /close   let everyone through (off)
    POST /auto        on when saturated, off when drained
    POST /pause       stop admitting                   POST /resume
    POST /rate        {"perMinute": 120 | null}  fixed rate, null returns to the closed loop
    POST /cap         {"perMinute": 600 | null}  ceiling on admissions per minute
    POST /schedule    {"opensAt": "2026-11-26T18:00:00Z" | null}  pre-queue until then
    POST /revoke      {"position": 1234}

Errors are RFC 9457 problem details (``application/problem+json``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from .room import WaitingRoom
from .store import Controls, RoomState

Authorize = Callable[[Scope], bool | Awaitable[bool]]
"""Returns (or resolves to) True for staff; may be async (a session looked up in a database)."""


async def _allows(authorize: Authorize, scope: Scope) -> bool:
    allowed = authorize(scope)
    return allowed if isinstance(allowed, bool) else await allowed


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def status_document(room: WaitingRoom, state: RoomState) -> dict[str, Any]:
    rate = room.estimator.rate
    return {
        "room": room.name,
        "on": room.is_on(state),
        "mode": state.mode,
        "autoActive": state.auto_active,
        "paused": state.paused,
        "fixedRatePerMinute": state.fixed_rate_per_minute,
        "admitCapPerMinute": state.admit_cap_per_minute,
        "opensAt": state.opens_at,
        "preQueue": state.prequeue_count if state.prequeue_key is None else 0,
        "lastPosition": state.tail,
        "serving": state.serving,
        "lineLength": state.waiting,
        "waiting": state.live_waiting,
        "activeHereNow": room.active_holders,
        "admittedTotal": state.admitted_total,
        "abandonedTotal": state.abandoned_total,
        "admittedPerMinute": round(rate * 60, 1),
        "requestsPerHolder": round(room.inlet.per_holder, 4),
    }


def _per_minute(body: dict[str, Any]) -> int:
    value = body.get("perMinute")
    if value is None:
        return -1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise ValueError("perMinute must be a whole number from 0 to 1000000, or null")
    return value


def _opens_at(body: dict[str, Any]) -> float:
    value = body.get("opensAt")
    if value is None:
        return -1
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("opensAt must be an ISO 8601 date-time with a zone, or null")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("opensAt must name its time zone (e.g. Z or -05:00)")
    return moment.timestamp()


def _schedule(body: dict[str, Any]) -> Controls:
    opens_at = _opens_at(body)
    # a schedule switches the room on (pre-queue); clearing it leaves the switch alone
    return Controls(opens_at=opens_at, auto_active=True if opens_at >= 0 else None)


CONTROL_ACTIONS: dict[str, Callable[[dict[str, Any]], Controls]] = {
    "open": lambda _: Controls(mode="on"),
    "close": lambda _: Controls(mode="off", release_all=True),
    "auto": lambda _: Controls(mode="auto"),
    "pause": lambda _: Controls(paused=True),
    "resume": lambda _: Controls(paused=False),
    "rate": lambda body: Controls(fixed_rate_per_minute=_per_minute(body)),
    "cap": lambda body: Controls(admit_cap_per_minute=_per_minute(body)),
    "schedule": _schedule,
}
"""Every operator action that sets controls, by name: the admin API's routes and the
``northbound room`` command (acting on Redis directly) both read this one table. A body that
does not parse raises ``ValueError`` with a message for the operator."""


def _position(body: dict[str, Any]) -> int:
    value = body.get("position")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
        raise ValueError("position must be a positive whole number")
    return value


def build_admin_app(room: WaitingRoom, authorize: Authorize) -> Starlette:
    """The admin API as an ASGI app; ``authorize(scope)`` returns True for staff."""

    def guarded(
        action: Callable[[dict[str, Any]], Awaitable[None]] | None,
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not await _allows(authorize, request.scope):
                return problem(403, "Forbidden", "Staff only.")
            if action is not None:
                body: dict[str, Any] = {}
                raw = await request.body()
                if len(raw) > 4096:
                    return problem(413, "Content Too Large", "The body is limited to 4 KB.")
                if raw.strip():
                    try:
                        parsed = json.loads(raw)
                    except (ValueError, UnicodeDecodeError):
                        return problem(400, "Bad Request", "The body is not valid JSON.")
                    if not isinstance(parsed, dict):
                        return problem(400, "Bad Request", "The body must be a JSON object.")
                    body = parsed
                try:
                    await action(body)
                except ValueError as error:
                    return problem(400, "Bad Request", str(error))
            await room.refresh()
            return JSONResponse(status_document(room, room.state))

        return endpoint

    def controls(
        make: Callable[[dict[str, Any]], Controls],
    ) -> Callable[[dict[str, Any]], Awaitable[None]]:
        async def act(body: dict[str, Any]) -> None:
            await room.store.update_controls(make(body))

        return act

    async def revoke(body: dict[str, Any]) -> None:
        await room.revoke(_position(body))

    routes = [
        Route("/", guarded(None), methods=["GET"]),
        *(
            Route(f"/{name}", guarded(controls(make)), methods=["POST"])
            for name, make in CONTROL_ACTIONS.items()
        ),
        Route("/revoke", guarded(revoke), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def bearer_authorizer(token: str) -> Authorize:
    """Until staff accounts exist: a shared bearer token (empty token: nobody is staff)."""
    import hmac

    expected = f"Bearer {token}".encode()

    def authorize(scope: Scope) -> bool:
        if not token:
            return False
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                return hmac.compare_digest(value, expected)
        return False

    return authorize


def any_of(*authorizers: Authorize) -> Authorize:
    """Staff if any of ``authorizers`` says so, asked in order (put the cheap ones first)."""

    async def authorize(scope: Scope) -> bool:
        for candidate in authorizers:
            if await _allows(candidate, scope):
                return True
        return False

    return authorize

"""The console's pages and controls (staff only; 404 for everyone else, as other staff pages).

The figures page refreshes itself every 15 seconds with a meta refresh (no JavaScript); the
notice editor is its own page, so a refresh never wipes what an operator is typing. Every
POST is a browser form with the CSRF token, answered with a 303 back to the page.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from northbound.ops.console import actions, figures
from northbound.ops.console.charts import Chart, describe, line_chart
from northbound.ops.console.paths import CONSOLE_PATHS, SHORT_PATH
from northbound.ops.console.probe import database_state
from northbound.ops.console.state import ConsoleState, console_state
from northbound.portal.accounts.pages import (
    NO_STORE,
    account_crumbs,
    redirect,
    render,
    sign_in_redirect,
)
from northbound.portal.accounts.paths import other
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, read_form
from northbound.portal.applications.staff_routes import _staff
from northbound.settings import Language
from northbound.storage.database import Database
from northbound.surge.waiting_room.admin import status_document
from northbound.web.i18n import gettext
from northbound.web.language import negotiate_language
from northbound.web.templating import Crumb

router = APIRouter(include_in_schema=False)
REFRESH_SECONDS = 15
DONE_MESSAGES = {
    "room": "The waiting room control was applied.",
    "rate": "The admission rate was changed.",
    "notice": "The notice was saved; every instance shows it within seconds.",
}


@dataclass
class Health:
    database: str
    breaker: str
    redis: str


async def _health(db: Database, state: ConsoleState) -> Health:
    return Health(await database_state(db), db.breaker.state.value, await state.store.ping())


async def _room_status(request: Request) -> dict[str, Any] | None:
    defence = request.app.state.defence
    if not defence.room_active:
        return None
    try:
        return status_document(defence.room, await defence.room.refresh())
    except Exception as error:  # Redis down: say so on the page
        return {"error": type(error).__name__}


def _eta_minutes(room: dict[str, Any] | None) -> float | None:
    """Wait of someone joining now: the live line over the measured outflow."""
    if not room or "error" in room or not room.get("on"):
        return None
    rate = float(room.get("admittedPerMinute") or 0)
    return float(room["waiting"]) / rate if rate > 0 else None


def _charts(language: Language, points: list[figures.ChartPoint]) -> list[Chart]:
    def text(message: str) -> str:
        return gettext(language, message)

    latest, peak = text("latest"), text("highest")
    series: list[tuple[str, str, list[float | None], str]] = [
        ("requests", text("Requests per second"), [p.requests_per_second for p in points], "/s"),
        (
            "goodput",
            text("Goodput (useful answers per second)"),
            [p.goodput_per_second for p in points],
            "/s",
        ),
        ("p99", text("p99 latency (seconds)"), [p.p99_seconds for p in points], "s"),
        ("shed", text("Shed per second"), [p.shed_per_second for p in points], "/s"),
        (
            "failures",
            text("Errors (5xx other than 503) per second"),
            [p.failures_per_second for p in points],
            "/s",
        ),
        ("line", text("Waiting line"), [p.line for p in points], ""),
    ]
    return [
        line_chart(
            f"chart-{ident}",
            title,
            values,
            unit,
            describe(values, unit, latest, peak) or text("No data yet."),
        )
        for ident, title, values, unit in series
    ]


def _crumbs(language: Language) -> list[Crumb]:
    staff_home = {"en": "/en/account/staff", "fr": "/fr/compte/personnel"}[language]
    return account_crumbs(language, Crumb(gettext(language, "Staff work queue"), staff_home))


async def _console_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    state = console_state(request)
    db: Database = accounts_state(request).db
    now = state.clock()
    try:
        series = await state.store.series(now)
    except Exception:  # Redis down: the figures of this instance are all we can know
        series = {}
    numbers = figures.compute(series, now)
    health, room = await asyncio.gather(_health(db, state), _room_status(request))
    refresh = request.query_params.get("refresh") != "off"
    return render(
        request,
        visitor,
        language,
        "console/console.html",
        title="Operator's console",
        twin_href=CONSOLE_PATHS["console"][other(language)],
        breadcrumbs=_crumbs(language),
        figures=numbers,
        room=room,
        eta_minutes=_eta_minutes(room),
        health=health,
        charts=_charts(language, numbers.chart),
        refresh=refresh,
        refresh_seconds=REFRESH_SECONDS,
        paths=_paths(language),
        done=DONE_MESSAGES.get(request.query_params.get("done", ""), ""),
        errors=errors or {},
        rate_kinds=actions.RATE_KINDS,
        room_actions=list(actions.ROOM_ACTIONS),
        action_labels=actions.ACTION_LABELS,
        status=status,
        generated_at=time.strftime("%H:%M:%S UTC", time.gmtime(now)),
    )


def _paths(language: Language) -> dict[str, str]:
    return {name: paths[language] for name, paths in CONSOLE_PATHS.items()}


async def _notice_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db: Database = accounts_state(request).db
    notice = request.app.state.templates.notice
    try:
        history = await actions.recent(db)
    except Exception:  # database down: the page still works, without the history
        history = []
    filled = values or {"en": notice.en, "fr": notice.fr, "level": notice.level}
    return render(
        request,
        visitor,
        language,
        "console/notice.html",
        title="Notice banner and console history",
        twin_href=CONSOLE_PATHS["notice"][other(language)],
        breadcrumbs=_crumbs(language),
        paths=_paths(language),
        history=history,
        action_labels=actions.ACTION_LABELS,
        values=filled,
        errors=errors or {},
        levels=("info", "warning", "danger"),
        done=DONE_MESSAGES.get(request.query_params.get("done", ""), ""),
        status=status,
    )


def _staff_page(page: Any) -> Any:
    """A GET endpoint for ``page``: staff see it, others are sent to sign in or get 404."""

    async def endpoint(request: Request) -> Response:
        language, visitor, user = await _staff(request)  # the language comes from the path
        if user is None:
            return sign_in_redirect(request, visitor, language)
        response: Response = await page(request, visitor, language)
        return response

    return endpoint


def _get(name: str, page: Any) -> None:
    for language in ("en", "fr"):
        router.add_api_route(
            CONSOLE_PATHS[name][language],
            _staff_page(page),
            methods=["GET"],
            name=f"console_{name}_{language}",
        )


_get("console", _console_page)
_get("notice", _notice_page)


@router.get(SHORT_PATH)
async def short_path(request: Request) -> Response:
    """``/staff/console``: the console in the browser's language."""
    language = negotiate_language(
        request.headers.get("accept-language"), request.app.state.settings.default_language
    )
    return RedirectResponse(CONSOLE_PATHS["console"][language], status_code=303, headers=NO_STORE)


def _field(form: Any, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def _staff_post(request: Request) -> tuple[Language, Visitor, int, Any]:
    language, visitor, user = await _staff(request)
    if user is None:
        raise HTTPException(403, "Sign in with a staff account to use the console.")
    form = await read_form(request, visitor)  # checks the CSRF token
    return language, visitor, user.id, form


def _room_or_409(request: Request) -> Any:
    defence = request.app.state.defence
    if not defence.room_active:
        raise HTTPException(
            409,
            "The waiting room is not installed on this site "
            "(NORTHBOUND_WAITING_ROOM__ENABLED or NORTHBOUND_PROTECTED).",
        )
    return defence.room


def _post(name: str, handler: Any) -> None:
    for language in ("en", "fr"):
        router.add_api_route(
            CONSOLE_PATHS[name][language],
            handler,
            methods=["POST"],
            name=f"console_{name}_post_{language}",
        )


async def _room_changed(
    request: Request,
    visitor: Visitor,
    language: Language,
    staff_id: int,
    form: str,
    action: str,
    detail: str,
) -> Response:
    """A change to the waiting room went through: it goes on the audit trail as
    ``form:action`` (``room:pause``, ``rate:cap``), and the console says which form was done."""
    state = accounts_state(request)
    await actions.audit(state.db, staff_id, f"{form}:{action}", detail, state.clock())
    return redirect(request, visitor, CONSOLE_PATHS["console"][language] + f"?done={form}")


async def post_room(request: Request) -> Response:
    language, visitor, staff_id, form = await _staff_post(request)
    room = _room_or_409(request)
    action = _field(form, "action", 20)
    try:
        detail = await actions.room_action(room, action)
    except actions.ActionRefused as refused:
        return await _console_page(request, visitor, language, {"room": str(refused)}, 400)
    return await _room_changed(request, visitor, language, staff_id, "room", action, detail)


async def post_rate(request: Request) -> Response:
    language, visitor, staff_id, form = await _staff_post(request)
    room = _room_or_409(request)
    kind, value = _field(form, "kind", 10), _field(form, "per_minute", 20)
    try:
        detail = await actions.rate_action(room, kind, value)
    except actions.ActionRefused as refused:
        return await _console_page(request, visitor, language, {"rate": str(refused)}, 400)
    return await _room_changed(request, visitor, language, staff_id, "rate", kind, detail)


async def post_notice(request: Request) -> Response:
    language, visitor, staff_id, form = await _staff_post(request)
    db: Database = accounts_state(request).db
    english, french = _field(form, "en"), _field(form, "fr")
    level, clear = _field(form, "level", 10) or "info", _field(form, "clear", 5) == "1"
    try:
        detail = await actions.notice_action(db, english, french, level, clear)
    except actions.ActionRefused as refused:
        return await _notice_page(
            request,
            visitor,
            language,
            {"notice": str(refused)},
            {"en": english, "fr": french, "level": level},
            400,
        )
    await actions.audit(
        db,
        staff_id,
        "notice:clear" if clear else "notice:set",
        detail,
        accounts_state(request).clock(),
    )
    await console_state(request).refresh_notice(request.app)
    return redirect(request, visitor, CONSOLE_PATHS["notice"][language] + "?done=notice")


_post("room", post_room)
_post("rate", post_rate)
_post("notice", post_notice)

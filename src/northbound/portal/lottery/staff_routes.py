"""Staff pages of the lottery: create an intake (and schedule the waiting room's opening),
close it, decide on likely duplicates, run the draw, send a round of invitations.

As on the other staff pages, a signed-in person without the staff flag gets 404. Every
change is written to the intake's audit trail by the service, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.pages import account_crumbs, redirect, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.lottery import service
from northbound.portal.lottery.models import Intake
from northbound.portal.lottery.paths import LOTTERY_PATHS, lottery_path
from northbound.portal.lottery.routes import load_intake, read_posted
from northbound.portal.lottery.texts import invitation_message
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import CurrentVisitor, Staff, StaffToAct, database_pages
from northbound.web.form_fields import trimmed
from northbound.web.i18n import gettext
from northbound.web.templating import Crumb

pages = database_pages(LOTTERY_PATHS)
router = pages.router
ScheduleOpening = Callable[[datetime], Awaitable[bool]]
"""Tells the waiting room when the intake opens (pre-queue until then); False: no room."""


StaffForm = Annotated[FormData, Depends(read_posted)]
"""A staff action's form: asked for after the staff check, so nobody else's is even read."""


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 date-time; without a zone it is taken as UTC. None when unreadable."""
    if not text or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _whole(text: str) -> int | None:
    compact = text.replace(",", "").replace(" ", "")
    return int(compact) if compact.isascii() and compact.isdigit() and len(compact) < 9 else None


def _crumbs(language: Language) -> list[Crumb]:
    return account_crumbs(
        language,
        Crumb(gettext(language, "Lottery intakes"), LOTTERY_PATHS["staff_lottery"][language]),
    )


async def _list_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    state = accounts_state(request)
    intakes = await service.list_intakes(state.db)
    now = state.clock()
    return render(
        request,
        visitor,
        language,
        "lottery/staff_list.html",
        title="Lottery intakes",
        twin_href=pages.twin(request, "staff_lottery"),
        breadcrumbs=account_crumbs(language),
        intakes=[(i, service.phase(i, now)) for i in intakes],
        href=lambda i: lottery_path("staff_intake", language, intake_id=i.id),
        values=values or {},
        errors=errors or {},
        status=status,
    )


@pages.page("staff_lottery", ["GET", "POST"])
async def staff_lottery(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: Staff
) -> Response:
    if request.method == "GET":
        return await _list_page(request, visitor, language)
    form = await read_posted(request, visitor)
    values = {
        name: trimmed(form, name, 2000)
        for name in (
            "opens_at",
            "closes_at",
            "invitation_target",
            "application_cap",
            "notice_en",
            "notice_fr",
        )
    }
    opens_at, closes_at = parse_moment(values["opens_at"]), parse_moment(values["closes_at"])
    target, cap = _whole(values["invitation_target"]), _whole(values["application_cap"])
    errors = service.check_intake(
        opens_at, closes_at, target, cap, values["notice_en"], values["notice_fr"]
    )
    if errors or opens_at is None or closes_at is None or target is None or cap is None:
        return await _list_page(request, visitor, language, values, errors, 400)
    state = accounts_state(request)
    intake = await service.create_intake(
        state.db,
        opens_at=opens_at,
        closes_at=closes_at,
        invitation_target=target,
        application_cap=cap,
        notice_en=values["notice_en"],
        notice_fr=values["notice_fr"],
        staff_id=user.id,
        now=state.clock(),
    )
    schedule: ScheduleOpening | None = getattr(request.app.state, "lottery_schedule", None)
    scheduled = schedule is not None and await schedule(opens_at)
    return redirect(
        request,
        visitor,
        lottery_path("staff_intake", language, intake_id=intake.id)
        + ("?scheduled=1" if scheduled else ""),
    )


async def _intake_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    intake: Intake,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    state = accounts_state(request)
    counts = await service.counts(state.db, intake.id)
    flags = await service.flags_of(state.db, intake.id)
    if flags and visitor.user is not None:  # personal details on screen: audited
        await service.note_review(state.db, intake.id, visitor.user.id, len(flags), state.clock())
    remaining = max(
        0, min(intake.invitation_target - counts.invited, counts.eligible - counts.invited)
    )
    return render(
        request,
        visitor,
        language,
        "lottery/staff_intake.html",
        title="Lottery intake",
        twin_href=pages.twin(request, "staff_intake", intake_id=intake.id),
        breadcrumbs=_crumbs(language),
        intake=intake,
        phase=service.phase(intake, state.clock()),
        counts=counts,
        flags=flags,
        audit=await service.audit_trail(state.db, intake.id),
        audit_actions=service.AUDIT_ACTIONS,
        remaining=remaining,
        errors=errors or {},
        status=status,
        values={"count": str(remaining)} if remaining else {},
        actions={
            name: lottery_path(name, language, intake_id=intake.id)
            for name in ("staff_close", "staff_flag", "staff_draw", "staff_round", "intake", "draw")
        },
        scheduled=request.query_params.get("scheduled") == "1",
    )


@pages.page("staff_intake", ["GET"])
async def staff_intake(
    request: Request, intake_id: str, language: PageLanguage, visitor: CurrentVisitor, user: Staff
) -> Response:
    return await _intake_page(request, visitor, language, await load_intake(request, intake_id))


async def _in_order(
    request: Request, visitor: Visitor, language: Language, intake: Intake, step: Awaitable[object]
) -> Response:
    """Take the intake one step on (close, decide a flag, draw, send a round) and go back to
    its page; a step out of order (drawing before the close, say) shows the page again with
    the reason, 409, and changes nothing."""
    try:
        await step
    except service.OutOfOrder as exc:
        return await _intake_page(request, visitor, language, intake, {"form": str(exc)}, 409)
    return redirect(request, visitor, lottery_path("staff_intake", language, intake_id=intake.id))


@pages.page("staff_close", ["POST"])
async def staff_close(
    request: Request,
    intake_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    _form: StaffForm,
) -> Response:
    intake = await load_intake(request, intake_id)
    state = accounts_state(request)
    step = service.close_intake(state.db, intake.id, user.id, state.clock())
    return await _in_order(request, visitor, language, intake, step)


@pages.page("staff_flag", ["POST"])
async def staff_flag(
    request: Request,
    intake_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: StaffForm,
) -> Response:
    intake = await load_intake(request, intake_id)
    flag_id = _whole(trimmed(form, "flag", 12))
    decision = trimmed(form, "decision", 20)
    if flag_id is None or decision not in service.DECISIONS:
        return await _intake_page(
            request, visitor, language, intake, {"decision": "Choose one of the options."}, 400
        )
    state = accounts_state(request)
    step = service.decide_flag(state.db, intake.id, flag_id, decision, user.id, state.clock())
    return await _in_order(request, visitor, language, intake, _or_404(step))


async def _or_404(step: Awaitable[object]) -> object:
    """The step, with "no such flag on this intake" as a 404: caught around the step alone,
    so a lookup that fails while the page is drawn stays the 500 it is."""
    try:
        return await step
    except LookupError as exc:
        raise HTTPException(404) from exc


@pages.page("staff_draw", ["POST"])
async def staff_draw(
    request: Request,
    intake_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    _form: StaffForm,
) -> Response:
    intake = await load_intake(request, intake_id)
    state = accounts_state(request)
    step = service.run_draw(state.db, intake.id, user.id, state.clock)
    return await _in_order(request, visitor, language, intake, step)


@pages.page("staff_round", ["POST"])
async def staff_round(
    request: Request,
    intake_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: StaffForm,
) -> Response:
    intake = await load_intake(request, intake_id)
    count = _whole(trimmed(form, "count", 12))
    if count is None or not 1 <= count <= 1_000_000:
        return await _intake_page(
            request,
            visitor,
            language,
            intake,
            {"count": "Enter a whole number from 1 to 1,000,000."},
            400,
        )
    key = submission_key(trimmed(form, "idempotency_key", 100))
    state = accounts_state(request)
    step = service.send_round(
        state.db, intake.id, count, user.id, key, state.clock(), invitation_message
    )
    return await _in_order(request, visitor, language, intake, step)

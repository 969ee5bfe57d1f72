"""The public lottery pages: an intake (countdown, counts, your standing), the
interest-to-sponsor form, and the draw anyone can check — in English and French, no
JavaScript needed — plus the draw's JSON document under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from northbound.portal.accounts.clock import aware
from northbound.portal.accounts.pages import redirect, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, read_form
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.lottery import draw, forms, service
from northbound.portal.lottery.models import Intake
from northbound.portal.lottery.paths import DRAW_API, LOTTERY_PATHS, lottery_path
from northbound.portal.lottery.texts import countdown
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import (
    CurrentVisitor,
    SignedInToAct,
    database_open,
    database_pages,
)
from northbound.web.form_fields import clipped
from northbound.web.i18n import gettext
from northbound.web.problems import problem
from northbound.web.templating import Crumb

pages = database_pages(LOTTERY_PATHS)
router = pages.router
api_router = APIRouter(prefix="/api/v1", tags=["lottery"])


def intake_number(raw: str) -> int:
    """The intake id from a URL, or 404 (never a 422 for a hand-edited address)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise HTTPException(404)
    return int(raw)


async def load_intake(request: Request, raw: str) -> Intake:
    intake = await service.get_intake(accounts_state(request).db, intake_number(raw))
    if intake is None:
        raise HTTPException(404)
    return intake


async def path_intake(request: Request, intake_id: str) -> Intake:
    """The intake named by the page's address, or 404."""
    return await load_intake(request, intake_id)


PathIntake = Annotated[Intake, Depends(path_intake)]


def _crumbs(language: Language, intake: Intake, *extra: Crumb) -> list[Crumb]:
    home = "/en/" if language == "en" else "/fr/"
    return [
        Crumb(gettext(language, "Home"), home),
        Crumb(
            gettext(language, "Sponsor your parents and grandparents"),
            lottery_path("intake", language, intake_id=intake.id),
        ),
        *extra,
    ]


def _links(language: Language, intake: Intake) -> dict[str, str]:
    return {
        name: lottery_path(name, language, intake_id=intake.id)
        for name in ("intake", "form", "draw")
    } | {"api": DRAW_API.format(intake_id=intake.id)}


def _intake_render(
    request: Request,
    visitor: Visitor,
    language: Language,
    intake: Intake,
    phase: str,
    template: str,
    *,
    title: str,
    breadcrumbs: list[Crumb],
    status: int = 200,
    **context: Any,
) -> Response:
    """A public page of one intake: what every such page shows (the intake, its phase and the
    links between its pages) and its twin in the other language, for the same intake."""
    return render(
        request,
        visitor,
        language,
        template,
        title=title,
        twin_href=pages.twin(request, intake_id=intake.id),
        breadcrumbs=breadcrumbs,
        intake=intake,
        phase=phase,
        lottery_links=_links(language, intake),
        status=status,
        **context,
    )


@pages.page("intake", ["GET"])
async def intake_page(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, intake: PathIntake
) -> Response:
    state = accounts_state(request)
    now = state.clock()
    phase = service.phase(intake, now)
    entry = invitation = None
    if visitor.user is not None:
        entry = await service.entry_of(state.db, intake.id, visitor.user.id)
        if entry is not None:
            invitation = await service.invitation_of(state.db, entry.id)
    counts = (
        await service.counts(state.db, intake.id) if phase not in ("upcoming", "open") else None
    )
    return _intake_render(
        request,
        visitor,
        language,
        intake,
        phase,
        "lottery/intake.html",
        title="Sponsor your parents and grandparents: interest to sponsor",
        breadcrumbs=_crumbs(language, intake)[:1],
        notice=intake.notice_en if language == "en" else intake.notice_fr,
        opens_at=aware(intake.opens_at),
        closes_at=aware(intake.closes_at),
        countdown=countdown(language, aware(intake.opens_at), now),
        entry=entry,
        invitation=invitation,
        counts=counts,
        sent=request.query_params.get("sent") == "1",
    )


async def read_posted(request: Request, visitor: CurrentVisitor) -> FormData:
    """The posted form (CSRF checked). A browser that hangs up while sending it (a person who
    gave up during a surge) is a 400 nobody reads, not an unexpected error."""
    try:
        return await read_form(request, visitor)
    except ClientDisconnect as exc:
        raise HTTPException(400, "The form did not arrive whole.") from exc


def _values(submitted: FormData) -> dict[str, str]:
    return {name: clipped(submitted, name, 1000) for name in forms.FIELD_NAMES}


def _form_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    intake: Intake,
    phase: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    existing: str | None = None,
) -> Response:
    return _intake_render(
        request,
        visitor,
        language,
        intake,
        phase,
        "lottery/form.html",
        title="Interest to sponsor form",
        breadcrumbs=_crumbs(language, intake),
        sponsor=forms.SPONSOR,
        people=(forms.PERSON_1, forms.PERSON_2),
        declaration=forms.DECLARATION,
        values=values or {},
        errors=errors or {},
        status=status,
        existing=existing,
    )


@pages.page("form", ["GET", "POST"])
async def interest_form(
    request: Request,
    language: PageLanguage,
    visitor: CurrentVisitor,
    intake: PathIntake,
    user: SignedInToAct,
) -> Response:
    state = accounts_state(request)
    now = state.clock()
    phase = service.phase(intake, now)
    if request.method == "GET":
        entry = await service.entry_of(state.db, intake.id, user.id)
        return _form_page(
            request,
            visitor,
            language,
            intake,
            phase,
            existing=entry.confirmation if entry else None,
        )
    submitted = await read_posted(request, visitor)
    key = submission_key(submitted.get("idempotency_key"))
    raw = _values(submitted)
    values, errors = forms.check(raw, now.date())
    if errors:
        return _form_page(request, visitor, language, intake, phase, raw, errors, 400)
    try:
        await service.submit_form(state.db, intake, user.id, values, key, now)
    except service.NotOpen:
        refused = {"form": "This intake is not taking forms now."}
        return _form_page(request, visitor, language, intake, phase, raw, refused, 409)
    except service.Duplicate as exc:
        refused = {exc.field: exc.message}
        return _form_page(
            request, visitor, language, intake, phase, raw, refused, 409, existing=exc.existing
        )
    # Shown only now: the form and its key are committed.
    return redirect(
        request, visitor, lottery_path("intake", language, intake_id=intake.id) + "?sent=1"
    )


SNIPPET = """import hashlib, hmac, json, urllib.request
d = json.load(urllib.request.urlopen("{url}"))
seed = bytes.fromhex(d["seed"])
assert hashlib.sha256(seed).hexdigest() == d["commitment"]
listed = "".join(c + "\n" for c in sorted(d["eligible"])).encode()
assert hashlib.sha256(listed).hexdigest() == d["listDigest"]
order = sorted(d["eligible"], key=lambda c: (hmac.new(seed, c.encode(), "sha256").digest(), c))
invited = [c for r in d["rounds"] for c in r["invited"]]
assert invited == order[:len(invited)]
print("draw verified:", len(invited), "invited of", len(order))"""


@pages.page("draw", ["GET"])
async def draw_page(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, intake: PathIntake
) -> Response:
    state = accounts_state(request)
    phase = service.phase(intake, state.clock())
    shown = await service.published(state.db, intake.id)
    assert shown is not None  # the intake exists
    checked = draw.verify(shown) if shown.seed_hex is not None else None
    base = state.settings.base_url.rstrip("/")
    api = base + DRAW_API.format(intake_id=intake.id)
    return _intake_render(
        request,
        visitor,
        language,
        intake,
        phase,
        "lottery/draw.html",
        title="Check the draw",
        breadcrumbs=_crumbs(language, intake),
        published=shown,
        verification=checked,
        counts=await service.counts(state.db, intake.id),
        commitment_public=phase != "upcoming",
        digest=draw.list_digest(shown.eligible) if shown.eligible else None,
        snippet=SNIPPET.format(url=api),
    )


def published_document(
    intake: Intake, shown: draw.Published, phase: str, counts: service.Counts
) -> dict[str, Any]:
    """The draw's public JSON (what ``northbound lottery verify --url`` reads)."""
    return {
        "intake": intake.id,
        "phase": phase,
        "opensAt": aware(intake.opens_at).isoformat(),
        "closesAt": aware(intake.closes_at).isoformat(),
        "commitment": shown.commitment if phase != "upcoming" else None,
        "listPublishedAt": aware(intake.list_published_at).isoformat()
        if intake.list_published_at
        else None,
        "listDigest": intake.list_digest,
        "eligible": list(shown.eligible),
        "seed": shown.seed_hex,
        "seedRevealedAt": aware(intake.seed_revealed_at).isoformat()
        if intake.seed_revealed_at
        else None,
        "rounds": [{"round": i, "invited": list(r)} for i, r in enumerate(shown.rounds, 1)],
        "counts": {
            "received": counts.received,
            "duplicatesRemoved": counts.duplicates_removed,
            "eligible": counts.eligible,
            "invited": counts.invited,
        },
        "method": "order = eligible sorted by HMAC-SHA256(key=seed bytes, msg=confirmation "
        "ASCII), ties by confirmation; rounds take the next numbers down the order",
    }


async def _draw_document(request: Request, intake_id: str) -> Response:
    if not (intake_id.isascii() and intake_id.isdigit()) or len(intake_id) > 9:
        return problem(404, "Not found", "No intake has this number.")
    state = accounts_state(request)
    intake = await service.get_intake(state.db, int(intake_id))
    shown = await service.published(state.db, int(intake_id)) if intake else None
    if intake is None or shown is None:
        return problem(404, "Not found", "No intake has this number.")
    document = published_document(
        intake,
        shown,
        service.phase(intake, state.clock()),
        await service.counts(state.db, intake.id),
    )
    return JSONResponse(document, headers={"cache-control": "no-cache"})


api_router.add_api_route(
    "/lottery/intakes/{intake_id}/draw",
    _draw_document,
    methods=["GET"],
    include_in_schema=True,
    dependencies=[Depends(database_open)],
    summary="The published draw of one intake, for anyone to verify",
)

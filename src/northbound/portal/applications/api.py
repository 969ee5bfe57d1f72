"""JSON API: accounts, sessions and applications, with RFC 9457 problem details.

``POST /api/v1/applications`` needs an ``Idempotency-Key`` header: the first request creates
and submits the application (201); a retry with the same key and body gets the same receipt
(200, ``Idempotent-Replayed: true``); the same key with another body is refused (422).
The API uses the same session cookie as the pages; it accepts only ``application/json``
bodies, which a cross-site HTML form cannot send, so no CSRF token is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, BeforeValidator, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from northbound.portal.accounts import service as accounts
from northbound.portal.accounts.models import User
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import (
    clear_session_cookie,
    current_visitor,
    set_session_cookie,
)
from northbound.portal.applications import service
from northbound.portal.applications.idempotency import KEY_SHAPE, KeyReused
from northbound.portal.applications.models import Application
from northbound.portal.applications.tracker import stages_for
from northbound.storage.database import DatabaseUnavailable
from northbound.web.errors import unavailable
from northbound.web.problems import problem

router = APIRouter(prefix="/api/v1", tags=["applications"])
SESSION_PATH = "/api/v1/session"  # rate-limited as sign-in by the surge defence


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    language: Literal["en", "fr"] = "en"


class NewAccount(BaseModel):
    """What the sign-up rules can be stated as a schema; the rest (common or guessable
    passwords) answer 422 with the field named."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=128)
    language: Literal["en", "fr"] = "en"


def _field_value(value: object) -> object:
    # RFC 9110: whitespace around a field value is not part of it
    return value.strip(" \t\r\n") if isinstance(value, str) else value


IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=KEY_SHAPE.pattern,
        description="8 to 64 letters, digits, '-', '_', ':' or '.'; the same on every retry.",
    ),
    BeforeValidator(_field_value),
]


RequiredKey = Annotated[
    str,
    Header(
        pattern=KEY_SHAPE.pattern,
        description="8 to 64 letters, digits, '-', '_', ':' or '.'; the same on every retry.",
    ),
    BeforeValidator(_field_value),
]


class NewApplication(BaseModel):
    kind: Literal["citizenship", "pr_interest"]
    answers: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=500)]] = (
        Field(max_length=40)
    )


class StageOut(BaseModel):
    key: str
    title: str
    reached_at: str | None


class ApplicationOut(BaseModel):
    id: str
    kind: str
    state: str
    receipt_number: str | None
    stage: str | None
    submitted_at: str | None
    stages: list[StageOut] = []


def _json_only(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "Send a JSON body (Content-Type: application/json).")


async def _user(request: Request) -> User:
    visitor = await current_visitor(request)
    if visitor.user is None:
        raise HTTPException(401, "Sign in first (POST /api/v1/session).")
    return visitor.user


def _out(application: Application, events: Mapping[str, datetime] | None = None) -> ApplicationOut:
    reached = events or {}
    stages = (
        [
            StageOut(
                key=s.key,
                title=s.title,
                reached_at=reached[s.key].isoformat() if s.key in reached else None,
            )
            for s in stages_for(application.kind)
        ]
        if application.receipt_number
        else []
    )
    return ApplicationOut(
        id=application.id,
        kind=application.kind,
        state=application.state,
        receipt_number=application.receipt_number,
        stage=application.stage,
        submitted_at=application.submitted_at.isoformat() if application.submitted_at else None,
        stages=stages,
    )


@router.post(
    "/accounts",
    status_code=202,
    summary="Create an account",
    responses={
        202: {
            "description": "Accepted: a message was sent to the address "
            "(a confirmation link, or a note to an existing account's "
            "owner); the answer is the same either way."
        }
    },
)
async def create_account(
    request: Request,
    body: NewAccount,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    _json_only(request)
    try:
        errors = await accounts.sign_up(
            accounts_state(request),
            body.email,
            body.password,
            body.password,
            body.language,
            idempotency_key=idempotency_key,
        )
    except DatabaseUnavailable as exc:
        return await unavailable(request, exc.retry_after)
    if errors:
        return problem(
            422,
            "Invalid request",
            "Some fields are not valid.",
            instance=request.url.path,
            errors=[{"field": k, "message": v} for k, v in errors.items()],
        )
    return JSONResponse(
        {"status": "accepted", "detail": "Check your email, then sign in."}, status_code=202
    )


@router.post(
    SESSION_PATH.removeprefix(router.prefix),
    status_code=204,
    summary="Sign in (sets the session cookie)",
)
async def create_session(request: Request, body: Credentials) -> Response:
    _json_only(request)
    state = accounts_state(request)
    try:
        visitor = await current_visitor(request)
        result = await accounts.sign_in(state, body.email, body.password)
        if result.user is None:
            if result.error == "locked":
                return problem(
                    429,
                    "Account locked",
                    "Too many failed attempts.",
                    headers={"retry-after": str(result.locked_minutes * 60)},
                )
            return problem(401, "Not signed in", "The email address or password is not right.")
        token = await state.sessions.start(result.user.id, replacing=visitor.session_token)
    except DatabaseUnavailable as exc:
        return await unavailable(request, exc.retry_after)
    response = Response(status_code=204)
    set_session_cookie(request, response, token)
    return response


@router.delete(SESSION_PATH.removeprefix(router.prefix), status_code=204, summary="Sign out")
async def delete_session(request: Request) -> Response:
    visitor = await current_visitor(request)
    if visitor.session_token:
        await accounts_state(request).sessions.end(visitor.session_token)
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Create and submit an application (idempotent)",
)
async def submit_application(
    request: Request,
    body: NewApplication,
    idempotency_key: RequiredKey,
) -> Response:
    _json_only(request)
    state = accounts_state(request)
    try:
        user = await _user(request)
        result = await service.submit_complete(
            state.db, user.id, body.kind, body.answers, idempotency_key, state.clock()
        )
        application = await service.own_application(state.db, user.id, result.application_id)
    except service.Incomplete as exc:
        return problem(
            422,
            "Invalid request",
            "The application is not complete or not valid.",
            instance=request.url.path,
            errors=[{"field": k, "message": v} for k, v in exc.errors.items()],
        )
    except KeyReused:
        return problem(
            422, "Idempotency-Key reused", "This key was already used for a different request."
        )
    except DatabaseUnavailable as exc:
        return await unavailable(request, exc.retry_after)
    except service.Busy:
        return await unavailable(request)
    assert application is not None
    replayed = result.replayed
    return JSONResponse(
        _out(application).model_dump(),
        status_code=200 if replayed else 201,
        headers={
            "idempotent-replayed": "true" if replayed else "false",
            "location": f"/api/v1/applications/{application.id}",
        },
    )


@router.get("/applications", response_model=list[ApplicationOut], summary="My applications")
async def my_applications(request: Request) -> list[ApplicationOut]:
    user = await _user(request)
    rows = await service.list_applications(accounts_state(request).db, user.id)
    return [_out(a) for a in rows]


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="One application with its status tracker",
)
async def one_application(request: Request, application_id: str) -> ApplicationOut:
    user = await _user(request)
    db = accounts_state(request).db
    application = await service.own_application(db, user.id, application_id)
    if application is None:
        raise HTTPException(404, "No such application.")
    events = {e.stage: e.reached_at for e in await service.stage_events(db, application.id)}
    return _out(application, events)

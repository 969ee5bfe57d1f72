"""Who is making this request: the signed-in user (if any), and the CSRF binding.

Resolved once per request and cached on ``request.state``. ``finish`` writes the cookies
the visitor needs onto the response.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts import csrf
from northbound.portal.accounts.models import User
from northbound.portal.accounts.sessions import COOKIE_NAME, looks_like_token
from northbound.portal.accounts.state import accounts_state

# Ordinary forms are small; uploads have their own streaming reader.
MAX_FORM_BYTES = 64 * 1024


@dataclass
class Visitor:
    user: User | None
    session_token: str | None
    csrf_binding: str
    new_csrf_cookie: bool
    stale_session_cookie: bool


async def current_visitor(request: Request) -> Visitor:
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    state = accounts_state(request)
    raw_session = request.cookies.get(COOKIE_NAME, "")
    active = await state.sessions.load(raw_session) if raw_session else None
    raw_binding = request.cookies.get(csrf.CSRF_COOKIE, "")
    new_cookie = False
    if active is not None:
        binding = active.token
    elif looks_like_token(raw_binding):
        binding = raw_binding
    else:
        binding, new_cookie = csrf.new_binding(), True
    visitor = Visitor(
        user=active.user if active else None,
        session_token=active.token if active else None,
        csrf_binding=binding,
        new_csrf_cookie=new_cookie,
        stale_session_cookie=bool(raw_session) and active is None,
    )
    request.state.visitor = visitor
    return visitor


def csrf_token(request: Request, visitor: Visitor) -> str:
    return csrf.token_for(accounts_state(request).secret, visitor.csrf_binding)


def check_csrf(request: Request, visitor: Visitor, submitted: object) -> None:
    value = submitted if isinstance(submitted, str) else None
    # Previous secrets still verify: a form opened before a key rotation can still be sent.
    secrets = accounts_state(request).settings.verifying_secrets
    if not any(
        csrf.token_matches(secret.encode("utf-8"), visitor.csrf_binding, value)
        for secret in secrets
    ):
        raise HTTPException(403, "The form's security token is missing or out of date.")


async def read_form(request: Request, visitor: Visitor) -> FormData:
    """Read a small urlencoded or multipart form (no files) and check its CSRF token."""
    length = request.headers.get("content-length")
    if length is not None and (
        not (length.isascii() and length.isdigit()) or int(length) > MAX_FORM_BYTES
    ):
        raise HTTPException(413, "The form is larger than we accept.")
    received = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_FORM_BYTES:
            raise HTTPException(413, "The form is larger than we accept.")
        chunks.append(chunk)
    # Starlette parses from the cached body once it is read.
    request._body = b"".join(chunks)
    # Kept where the outage page can find it, to hand the form back if the database is down.
    request.state.form_body = request._body
    try:
        form = await request.form(max_files=0, max_fields=80)
    except (HTTPException, ValueError, AssertionError) as exc:
        raise HTTPException(400, "The form could not be read.") from exc
    check_csrf(request, visitor, form.get(csrf.FIELD_NAME))
    return form


def cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https" or accounts_state(request).settings.base_url.startswith(
        "https://"
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
        max_age=accounts_state(request).settings.accounts.session_absolute_hours * 3600,
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=cookie_secure(request)
    )


def finish(request: Request, response: Response, visitor: Visitor) -> Response:
    if visitor.new_csrf_cookie:
        response.set_cookie(
            csrf.CSRF_COOKIE,
            visitor.csrf_binding,
            httponly=True,
            samesite="lax",
            secure=cookie_secure(request),
            path="/",
        )
    if visitor.stale_session_cookie:
        clear_session_cookie(request, response)
    return response

"""Friendly error pages in the visitor's language, problem JSON for API clients.

An unexpected exception is logged with the request id and answered with a plain-language page
that shows the id; it also counts in a metric (and the test suite fails when one happens).

A database outage is not unexpected: it gets a 503 with ``Retry-After`` saying submissions are
paused (problem JSON for API clients). A person who had just posted a form gets the form back
as a "Send again" button, so nothing they typed is lost.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response

from northbound.ops.logs import request_id_var
from northbound.ops.metrics import UNEXPECTED_ERRORS
from northbound.portal.accounts.hash_pool import HashingBusy
from northbound.portal.accounts.pages import sign_in_redirect
from northbound.portal.applications.idempotency import KeyReused, MissingKey
from northbound.portal.applications.service import Busy
from northbound.settings import Language
from northbound.storage.database import Database, DatabaseUnavailable, is_outage
from northbound.surge.breaker import CircuitOpenError
from northbound.web.allow import allowed_methods
from northbound.web.dependencies import SignInRequired
from northbound.web.i18n import gettext
from northbound.web.language import other, page_language, request_language
from northbound.web.problems import problem, wants_json
from northbound.web.templating import Templates

log = logging.getLogger(__name__)

# English source strings; French comes from the translation catalog.
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "We could not understand that request. Check the address and try again."),
    403: ("Access denied", "You do not have permission to do that. Sign in and try again."),
    404: (
        "We couldn't find that web page",
        "The page may have moved, or the address may be "
        "mistyped. Start again from the home page or search the site.",
    ),
    405: (
        "That action is not allowed here",
        "This page cannot be used that way. Go back "
        "and try again from a link or a form on the site.",
    ),
    413: (
        "That is too large",
        "What you sent is larger than we accept. Make it smaller and try again.",
    ),
    422: (
        "Some information needs fixing",
        "Some of what you entered is not valid. Go back, correct it and try again.",
    ),
    429: (
        "Too many requests",
        "You have sent many requests in a short time. Wait a moment, then try again.",
    ),
    500: (
        "Something went wrong on our side",
        "Your request did not go through. Please try again "
        "in a few minutes. Sending a form again will not create a duplicate.",
    ),
    503: (
        "The service is busy",
        "We are receiving a very high number of visitors. Please "
        "try again in a few minutes. Information pages remain available.",
    ),
}


OUTAGE_TITLE = "Submissions are paused"
OUTAGE_DETAIL = (
    "Submissions are paused for a moment and nothing was saved. Retry after the "
    "Retry-After delay; send the same Idempotency-Key to avoid a duplicate."
)
# Never echoed back into a page.
SECRET_FIELDS = frozenset({"password", "confirm", "current"})
# nginx's code for "the client closed the request": logged and counted as the client's doing.
CLIENT_CLOSED_REQUEST = 499
# Scope-state key where the form reader leaves the raw body it read.
FORM_BODY_KEY = "form_body"
MAX_RESEND_BYTES = 64 * 1024


def retry_after_header(seconds: float) -> dict[str, str]:
    return {"retry-after": str(max(1, math.ceil(seconds))), "cache-control": "no-store"}


async def _posted_form(request: Request) -> bytes | None:
    """The urlencoded body the visitor just posted, if it can be had without risk."""
    if request.method != "POST":
        return None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return None
    kept = getattr(request.state, FORM_BODY_KEY, None)
    if isinstance(kept, bytes):
        return kept
    if getattr(request.state, "visitor", None) is not None:
        # The handler got past the visitor lookup, so it may have consumed the body in a way
        # that left no copy; reading the stream again could wait forever.
        return None
    length = request.headers.get("content-length", "")
    if not (length.isascii() and length.isdigit()) or int(length) > MAX_RESEND_BYTES:
        return None
    try:
        body = await request.body()
    except Exception:  # a disconnect or a consumed stream: fall back to the plain message
        return None
    return body if len(body) <= MAX_RESEND_BYTES else None


class ErrorPages:
    def __init__(self, templates: Templates, default_language: Language) -> None:
        self.templates = templates
        self.default_language = default_language

    def html(
        self,
        request: Request,
        status: int,
        *,
        reference: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        language = request_language(request, self.default_language)
        title_en, message_en = MESSAGES.get(status, (HTTPStatus(status).phrase, ""))
        body = self.templates.render(
            language,
            "error.html",
            title=gettext(language, title_en),
            twin_href=f"/{other(language)}/",
            message=gettext(language, message_en),
            reference=reference,
        )
        return HTMLResponse(body, status_code=status, headers=headers)

    async def outage(self, request: Request, retry_after: float) -> Response:
        """503 "submissions are paused"; a posted form comes back ready to send again."""
        headers = retry_after_header(retry_after)
        if wants_json(request):
            return problem(
                503, OUTAGE_TITLE, OUTAGE_DETAIL, instance=request.url.path, headers=headers
            )
        language = request_language(request, self.default_language)
        body = await _posted_form(request)
        fields: list[tuple[str, str]] = []
        if body is not None:
            try:
                fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
            except ValueError:
                fields = []
        secret = any(name in SECRET_FIELDS for name, _ in fields)
        # Same path, on this site only: "//host/..." in a form action would send the form away.
        path = "/" + request.url.path.lstrip("/")
        action = path + (f"?{request.url.query}" if request.url.query else "")
        page = self.templates.render(
            language,
            "outage.html",
            title=gettext(language, OUTAGE_TITLE),
            twin_href=f"/{other(language)}/",
            posted=request.method == "POST",
            resend=[] if secret else fields,
            secret=secret,
            action=action,
        )
        return HTMLResponse(page, status_code=503, headers=headers)

    def respond(
        self,
        request: Request,
        status: int,
        detail: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        if wants_json(request):
            title = MESSAGES.get(status, (HTTPStatus(status).phrase, ""))[0]
            return problem(status, title, detail, instance=request.url.path, headers=headers)
        return self.html(request, status, headers=headers)


def install_error_handlers(app: FastAPI, pages: ErrorPages) -> None:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else ""
        headers = exc.headers
        if exc.status_code == 405:
            methods = allowed_methods(request.app.router.routes, request.scope)
            kept = {k: v for k, v in (headers or {}).items() if k.lower() != "allow"}
            headers = {**kept, "allow": ", ".join(methods)}
        return pages.respond(request, exc.status_code, detail, headers=headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "invalid"),
            }
            for err in exc.errors()
        ]
        if wants_json(request):
            fields = ", ".join(e["field"] for e in errors if e["field"]) or "request"
            return problem(
                422,
                "Invalid request",
                f"These fields are not valid: {fields}",
                instance=request.url.path,
                errors=errors,
            )
        return pages.html(request, 422)

    async def database_error(request: Request, exc: Exception) -> Response:
        if not is_outage(exc):
            raise exc  # a bug, not an outage: the unexpected-error handler takes it
        db: Database = request.app.state.db
        retry_after = getattr(exc, "retry_after", 0.0) or db.retry_after
        log.warning(
            "database unavailable",
            extra={
                "route": request.url.path[:200],
                "error": getattr(exc, "reason", type(exc).__name__),
            },
        )
        return await pages.outage(request, retry_after)

    async def hashing_busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HashingBusy)
        log.warning("password hashing busy", extra={"route": request.url.path[:200]})
        return await pages.outage(request, exc.retry_after)

    async def client_gone(request: Request, exc: Exception) -> Response:
        # The client hung up while sending its body: nothing to answer and nothing went
        # wrong here. The 499 is never seen by anyone; it only keeps the metrics honest.
        log.info("client disconnected mid-request", extra={"route": request.url.path[:200]})
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, DatabaseUnavailable | CircuitOpenError):  # raised outside the routes
            return await database_error(request, exc)
        UNEXPECTED_ERRORS.inc()
        # This handler runs outside the request-id middleware, so read the id from the scope.
        reference = str(request.scope.get("request_id") or request_id_var.get())
        log.error(
            "unexpected error",
            exc_info=exc,
            extra={"route": request.url.path[:200], "request_id": reference},
        )
        if wants_json(request):
            return problem(500, "Internal error", "Please try again later.", request_id=reference)
        return pages.html(request, 500, reference=reference)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ClientDisconnect, client_gone)
    # Outages raised anywhere under the routes; raw driver errors are sorted by is_outage.
    for outage_type in (
        DatabaseUnavailable,
        CircuitOpenError,
        DBAPIError,
        SATimeoutError,
        DisconnectionError,
    ):
        app.add_exception_handler(outage_type, database_error)
    app.add_exception_handler(HashingBusy, hashing_busy)
    install_domain_handlers(app, pages)
    app.add_exception_handler(Exception, unexpected_error)


KEY_REUSED = "This form was already used. Reload the page."
KEY_MISSING = "The form is missing its submission key. Reload the page."
BUSY_RETRY_SECONDS = 5.0
"""How long a person whose write lost repeated conflicts (``Busy``) is asked to wait."""


async def unavailable(request: Request, retry_after: float = BUSY_RETRY_SECONDS) -> Response:
    """The "submissions are paused" 503 for a handler that answers an outage itself (the JSON
    API does, per call): a page for people, problem JSON under /api/."""
    pages: ErrorPages = request.app.state.errors
    return await pages.outage(request, retry_after)


def install_domain_handlers(app: FastAPI, pages: ErrorPages) -> None:
    """The portal's own exceptions, answered the same way wherever a page raises them.

    The JSON API catches these itself where its answer differs (a reused key is a 422 problem
    there); pages let them through to here.
    """

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return sign_in_redirect(request, exc.visitor, page_language(request))

    async def key_reused(request: Request, exc: Exception) -> Response:
        return pages.respond(request, 400, KEY_REUSED)

    async def key_missing(request: Request, exc: Exception) -> Response:
        return pages.respond(request, 400, KEY_MISSING)

    async def busy(request: Request, exc: Exception) -> Response:
        return await pages.outage(request, BUSY_RETRY_SECONDS)

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(KeyReused, key_reused)
    app.add_exception_handler(MissingKey, key_missing)
    app.add_exception_handler(Busy, busy)

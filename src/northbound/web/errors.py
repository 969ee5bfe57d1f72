"""Friendly error pages in the visitor's language, problem JSON for API clients.

An unexpected exception is logged with the request id and answered with a plain-language page
that shows the id; it also counts in a metric (and the test suite fails when one happens).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from northbound.ops.logs import request_id_var
from northbound.ops.metrics import UNEXPECTED_ERRORS
from northbound.settings import LANGUAGES, Language
from northbound.web.i18n import gettext, negotiate_language
from northbound.web.problems import problem, wants_json
from northbound.web.templating import Templates

log = logging.getLogger(__name__)

# English source strings; French comes from the translation catalog.
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "We could not understand that request. Check the address and try again."),
    403: ("Access denied", "You do not have permission to do that. Sign in and try again."),
    404: ("We couldn't find that web page", "The page may have moved, or the address may be "
          "mistyped. Start again from the home page or search the site."),
    405: ("That action is not allowed here", "This page cannot be used that way. Go back "
          "and try again from a link or a form on the site."),
    413: ("That is too large", "What you sent is larger than we accept. Make it smaller and "
          "try again."),
    422: ("Some information needs fixing", "Some of what you entered is not valid. Go back, "
          "correct it and try again."),
    429: ("Too many requests", "You have sent many requests in a short time. Wait a moment, "
          "then try again."),
    500: ("Something went wrong on our side", "Your request did not go through. Please try again "
          "in a few minutes. Sending a form again will not create a duplicate."),
    503: ("The service is busy", "We are receiving a very high number of visitors. Please "
          "try again in a few minutes. Information pages remain available."),
}


def request_language(request: Request, default: Language) -> Language:
    segment = request.url.path.lstrip("/").split("/", 1)[0]
    if segment in LANGUAGES:
        return segment  # type: ignore[return-value]
    return negotiate_language(request.headers.get("accept-language"), default)


class ErrorPages:
    def __init__(self, templates: Templates, default_language: Language) -> None:
        self.templates = templates
        self.default_language = default_language

    def html(
        self, request: Request, status: int, *, reference: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        language = request_language(request, self.default_language)
        title_en, message_en = MESSAGES.get(status, (HTTPStatus(status).phrase, ""))
        other: Language = "fr" if language == "en" else "en"
        body = self.templates.render(
            language,
            "error.html",
            title=gettext(language, title_en),
            twin_href=f"/{other}/",
            message=gettext(language, message_en),
            reference=reference,
        )
        return HTMLResponse(body, status_code=status, headers=headers)

    def respond(
        self, request: Request, status: int, detail: str = "",
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
        return pages.respond(request, exc.status_code, detail, headers=exc.headers)

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
                422, "Invalid request", f"These fields are not valid: {fields}",
                instance=request.url.path, errors=errors,
            )
        return pages.html(request, 422)

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        UNEXPECTED_ERRORS.inc()
        # This handler runs outside the request-id middleware, so read the id from the scope.
        reference = str(request.scope.get("request_id") or request_id_var.get())
        log.error(
            "unexpected error",
            exc_info=exc,
            extra={"route": request.url.path[:200], "request_id": reference},
        )
        if wants_json(request):
            return problem(500, "Internal error", "Please try again later.",
                           request_id=reference)
        return pages.html(request, 500, reference=reference)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)

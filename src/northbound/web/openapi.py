"""The API's OpenAPI document, made to promise exactly what the API does.

FastAPI documents a route's own success answer and a ``application/json`` 422. The API also
answers, from the layers around the routes and from the routes themselves, with problem
details (RFC 9457, ``application/problem+json``): malformed or refused requests, sign-in
needed, not found, method not allowed (with ``Allow``), too many requests (``Retry-After``),
service busy or submissions paused (503, ``Retry-After``). Each is listed on every operation
that can give it, so a client generated from the schema knows them all.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from northbound.web.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
WAITING_SCHEMA: dict[str, Any] = {
    "title": "InWaitingRoom",
    "type": "object",
    "description": "The waiting room is on: poll again after Retry-After seconds.",
    "required": ["inWaitingRoom"],
    "properties": {"inWaitingRoom": {"type": "boolean"}},
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
ALWAYS: dict[str, str] = {
    "400": "The request could not be read (malformed body or headers).",
    "405": "Method not allowed here; the Allow header lists the methods that are.",
    "422": "Invalid request: each error names its field. Also for answers that contradict "
    "each other or rules a schema cannot state (such as a common password).",
    "429": "Too many requests from this client, or the waiting room is on.",
    "503": "Busy (shed by admission control) or submissions paused (database outage).",
}
SIGN_IN_NEEDED = "401"
NOT_FOUND = "404"
UNSUPPORTED_MEDIA = "415"


def _problem(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


def _responses_for(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {code: _problem(text) for code, text in ALWAYS.items()}
    extra["405"]["headers"] = {"Allow": {"description": "Allowed methods.",
                                         "schema": {"type": "string"}}}  # fmt: skip
    extra["429"]["headers"] = RETRY_AFTER
    extra["429"]["content"]["application/json"] = {
        "schema": {"$ref": "#/components/schemas/InWaitingRoom"}
    }
    extra["503"]["headers"] = RETRY_AFTER
    if "requestBody" in operation:
        extra[UNSUPPORTED_MEDIA] = _problem("Send a JSON body (Content-Type: application/json).")
    if path.startswith("/api/v1/applications") or (path, method) == ("/api/v1/session", "post"):
        extra[SIGN_IN_NEEDED] = _problem("Not signed in, or the email or password is not right.")
    if "{" in path:
        extra[NOT_FOUND] = _problem("No such resource (or not yours).")
    return extra


def _not_null(parameter: dict[str, Any]) -> None:
    """An optional header is absent or text; FastAPI spells it "text or null", and a header
    can hold no null (a client would send the word)."""
    schema = parameter.get("schema", {})
    options = [o for o in schema.get("anyOf", ()) if o.get("type") != "null"]
    if parameter.get("in") == "header" and len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**options[0], **rest}


def complete_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem answers to every API operation (in place; returns ``schema``)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components["InWaitingRoom"] = WAITING_SCHEMA
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                _not_null(parameter)
            responses = operation.setdefault("responses", {})
            for code, response in _responses_for(path, method, operation).items():
                # FastAPI's own 422 says application/json; ours is problem JSON
                responses[code] = response
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's ``openapi_url``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_schema(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes,
            ))  # fmt: skip
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Issue 12, item 3: the waiting-room gate decides on the path the router will route.

For any spelling of a path (percent-encoded or not, backslashes, dot segments, overlong UTF-8,
matrix parameters, odd case), if the site's router would take the request to a handler that
needs a pass, the site's gate must ask for one. Exempt handlers (health checks, metrics, the
room's operator API, the pages worked out from the request alone) stay open under their plain
names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.routing import BaseRoute, Match

from northbound.app import create_app
from northbound.defence import OUTSIDE_THE_ROOM
from northbound.settings import Settings
from northbound.surge.waiting_room import WaitingRoomMiddleware
from tests.support.apps import layer_of

SEGMENTS = [
    "", ".", "..", "%2e%2e", "%2E", ".%2e", "%C0%AE%C0%AE", "%c0%af", "%e0%80%ae",
    "healthz", "HEALTHZ", "readyz", "metrics", "static", "Static", "app.css",
    "en", "fr", "EN", "eligibility", "admissibilite", "find-out", "decouvrez",
    "crs-calculator", "account", "sign-in", "compte", "api", "v1", "admin", "room", "status",
    "parents-grandparents", "contact-us", "search", "recherche",
    "waiting-room", "healthz;x=1", "..;", "%00", "%20", "%2F", "%5C", "%252F", "%255C",
    "..%5C..%5C..%5Chealthz", "..\\..\\healthz", "x",
]  # fmt: skip
SEPARATORS = ["/", "\\", "%2F", "%5C", "//", "%2f", "%5c", "/./"]


def server_path(raw: str) -> str:
    """What uvicorn puts in ``scope["path"]``: the raw path, percent-decoded once."""
    return unquote(raw) if "%" in raw else raw


def flat_routes(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            assert route.include_context.prefix == ""  # type: ignore[attr-defined]
            yield from flat_routes(included.routes)
        else:
            yield route


def routed(app: FastAPI, path: str) -> str | None:
    """The template of the route the router picks for GET ``path`` (None: not found)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [],
             "query_string": b""}  # fmt: skip
    partial = None
    for route in flat_routes(app.router.routes):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", ""))
        if match is Match.PARTIAL and partial is None:
            partial = str(getattr(route, "path", ""))
    return partial


def exempt_template(template: str) -> bool:
    return any(
        template == prefix.rstrip("/") or template.startswith(prefix.rstrip("/") + "/")
        for prefix in OUTSIDE_THE_ROOM
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, WaitingRoomMiddleware]:
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp("gate"),
        secret_key="gate-test-secret",
        content_poll_seconds=0,
        waiting_room={"mode": "on", "admin_token": "t"},
    )
    app = create_app(settings_)
    return app, layer_of(app, WaitingRoomMiddleware)


def verdict(
    site: tuple[FastAPI, WaitingRoomMiddleware],
) -> Callable[[str], tuple[bool, str | None]]:
    app, gate = site

    def check(raw: str) -> tuple[bool, str | None]:
        path = server_path(raw)
        scope = {"type": "http", "method": "GET", "path": path, "raw_path": raw.encode(),
                 "headers": []}  # fmt: skip
        return gate._gated(scope), routed(app, path)

    return check


def test_plain_names_of_exempt_handlers_stay_open(
    site: tuple[FastAPI, WaitingRoomMiddleware],
) -> None:
    check = verdict(site)
    for raw in ("/healthz", "/readyz", "/metrics", "/api/v1/admin/room/status",
                "/en/eligibility/crs-calculator", "/fr/recherche"):  # fmt: skip
        gated, template = check(raw)
        assert template is not None and exempt_template(template), raw
        assert not gated, raw
    for raw in ("/en/contact-us", "/en/account/sign-in", "/api/v1/applications"):
        gated, template = check(raw)
        assert template is not None and not exempt_template(template), raw
        assert gated, raw


spellings = st.lists(
    st.tuples(st.sampled_from(SEPARATORS), st.sampled_from(SEGMENTS)), min_size=1, max_size=8
).map(lambda parts: "/" + "".join(sep + seg for sep, seg in parts).lstrip("/\\"))


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example("/en/parents-grandparents/..%5C..%5C..%5Chealthz")
@example("/en/parents-grandparents/..\\..\\..\\healthz")
@example("/en/parents-grandparents/%C0%AE%C0%AE/%C0%AE%C0%AE/healthz")
@example("/en/account/..%2F..%2Fhealthz")
@given(raw=spellings)
def test_gate_protects_every_spelling_the_router_sends_to_a_protected_handler(
    site: tuple[FastAPI, WaitingRoomMiddleware], raw: str
) -> None:
    gated, template = verdict(site)(raw)
    if template is not None and not exempt_template(template):
        assert gated, (raw, template)
    if not gated:  # what the gate lets through is an exempt handler, or nothing at all
        assert template is None or exempt_template(template), (raw, template)

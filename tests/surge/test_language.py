"""The one reader of a request's language (RFC 9110 §12.5.4), and every layer agreeing on it."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from northbound.surge.language import Lang, negotiate_language, path_language, request_language
from northbound.surge.shed_page import Variant, choose_variant
from northbound.surge.waiting_room import WaitingRoomMiddleware
from northbound.surge.waiting_room.memory_store import InProcessStore
from northbound.web.language import request_language as site_language
from tests.support.asgi import app_scope, http_scope, ok_app, run
from tests.support.clock import FakeClock
from tests.support.waiting_room import make_room, switch_on


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("/fr/", "fr"),
        ("/fr", "fr"),
        ("/en/account/sign-in", "en"),
        ("/fr/compte/", "fr"),
        ("/", None),
        ("/api/v1/x", None),
        ("/french/", None),
        ("/frx", None),
    ],
)
def test_path_language_reads_the_first_segment(path: str, language: Lang | None) -> None:
    assert path_language(path) == language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr", "fr"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB;q=0.8,en;q=0.9,fr;q=0.95", "fr"),
        ("de,fr;q=0.1", "fr"),
        ("de,es", "en"),  # nothing usable: the default
        ("fr;q=0,en;q=0.1", "en"),  # q=0 means "not this one"
        ("en;q=0.5,fr;q=0.5", "en"),  # a tie goes to the one listed first
        ("fr;Q=0.9,en;q=0.8", "fr"),  # parameter names are case-insensitive
        ("fr; q=0.9 ,en;q=0.8", "fr"),  # optional whitespace around the weight
        ("fr;level=1;q=0.9,en;q=0.8", "fr"),  # other parameters do not hide the weight
        ("", "en"),
        (",;,;q=", "en"),
    ],
)
def test_accept_language(header: str, expected: Lang) -> None:
    assert negotiate_language(header, "en") == expected


@pytest.mark.parametrize(
    "bad_weight", ["abc", "2", "1.5", "-1", ".5", "0.1234", "1e0", "inf", "nan", ""]
)
def test_a_malformed_weight_drops_the_item(bad_weight: str) -> None:
    """RFC 9110 allows 0 to 1 with at most three decimals. A weight outside that grammar is not
    guessed at (``float`` would read "1e0", "inf", "nan" and "2"): the item is ignored, so a
    broken weight can neither win nor block the others."""
    assert negotiate_language(f"fr;q={bad_weight},en;q=0.1", "fr") == "en"
    assert negotiate_language(f"fr;q={bad_weight}", "en") == "en"
    assert negotiate_language(f"en;q={bad_weight}", "fr") == "fr"


def test_a_long_header_is_read_only_so_far() -> None:
    assert negotiate_language("de," * 300 + "fr", "en") == "en"


HEADERS = ["de,fr", "fr;q=2,en;q=0.5", "en;q=0.1,fr-CA;q=0.2", "french", "fr;q=0,en", "", "de"]


@pytest.mark.parametrize("header", HEADERS)
def test_the_shed_page_and_the_site_read_a_header_alike(header: str) -> None:
    """The 503 page read only the first two letters ("de,fr" was English there, French on the
    site's pages; "french" was French there) and the room accepted ``q=2``: now one reader."""
    scope = app_scope("GET", "/api/v1/x", [(b"accept-language", header.encode())] if header else [])
    site = site_language(Request(scope), "en")
    shed = "fr" if choose_variant(scope) is Variant.JSON_FR else "en"
    assert shed == site == request_language("/api/v1/x", header)


@pytest.mark.parametrize(
    ("header", "expected"), [("de,fr", "fr"), ("french", "en"), ("fr;q=2,en", "en")]
)
async def test_the_waiting_page_reads_the_header_alike(header: str, expected: Lang) -> None:
    """A newcomer sent to the line gets the waiting page in the language the site would use:
    the room read "french" as French and weighted q=2 above everything before."""
    room = make_room(InProcessStore(), FakeClock())
    await switch_on(room)
    gate = WaitingRoomMiddleware(ok_app, room=room, cookie_prefix="nb_")
    scope = http_scope(path="/apply", headers=[(b"accept-language", header.encode())])
    page = (await run(gate, scope)).body.decode()
    assert f'<html lang="{expected}"' in page
    assert expected == request_language("/apply", header)

"""The one language resolver: the path first, then Accept-Language (RFC 9110 §12.5.4)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from northbound.settings import Language
from northbound.web.language import (
    negotiate_language,
    other,
    page_language,
    path_language,
    request_language,
)


def _request(path: str, accept_language: str | None = None) -> Request:
    headers = [(b"accept-language", accept_language.encode())] if accept_language else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "scheme": "http",
            "server": ("test", 80),
        }
    )


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
def test_path_language_reads_the_first_segment(path: str, language: Language | None) -> None:
    assert path_language(path) == language


def test_the_path_wins_over_the_header() -> None:
    assert request_language(_request("/en/search", "fr"), "en") == "en"
    assert request_language(_request("/api/v1/x", "fr-CA,en;q=0.5"), "en") == "fr"
    assert request_language(_request("/api/v1/x"), "fr") == "fr"
    assert page_language(_request("/fr/compte/")) == "fr"
    assert other("en") == "fr" and other("fr") == "en"


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
def test_accept_language(header: str, expected: Language) -> None:
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

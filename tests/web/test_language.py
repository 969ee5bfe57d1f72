"""The site's language for a request: the path first, then Accept-Language (the reading itself
is tested in tests/surge/test_language.py)."""

from __future__ import annotations

from starlette.requests import Request

from northbound.web.language import other, page_language, request_language


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


def test_the_path_wins_over_the_header() -> None:
    assert request_language(_request("/en/search", "fr"), "en") == "en"
    assert request_language(_request("/api/v1/x", "fr-CA,en;q=0.5"), "en") == "fr"
    assert request_language(_request("/api/v1/x"), "fr") == "fr"
    assert page_language(_request("/fr/compte/")) == "fr"
    assert other("en") == "fr" and other("fr") == "en"

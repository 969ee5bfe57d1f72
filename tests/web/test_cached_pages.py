"""The fast path: pages served from memory with validators, compression and reloads."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import brotli
import httpx
import pytest
from asgi_lifespan import LifespanManager

from northbound.app import create_app
from northbound.settings import Settings
from northbound.web.cached_response import CachedResponse, _accepted_codings
from tests.support.apps import FIXTURE_CONTENT, migrated
from tests.support.services import UNREACHABLE_DATABASE


async def test_conditional_get_round_trip(client: httpx.AsyncClient) -> None:
    first = await client.get("/en/express-entry")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["last-modified"]
    assert "max-age" in first.headers["cache-control"]
    again = await client.get("/en/express-entry", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get("/en/express-entry", headers={"if-none-match": f"W/{etag}"})
    assert weak.status_code == 304
    star = await client.get("/en/express-entry", headers={"if-none-match": "*"})
    assert star.status_code == 304


@pytest.mark.parametrize(
    "header",
    ['"nope"', "garbage", '"unterminated', ",,,", "W/", "x" * 9000, '"a", W/"b", "c"', "\t"],
)
async def test_odd_if_none_match_gets_the_page(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/en/", headers={"if-none-match": header})
    assert response.status_code == 200
    assert b"<h1>" in response.content


async def test_compressed_representations(client: httpx.AsyncClient) -> None:
    plain = await client.get("/fr/", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    raw_br = await client.get("/fr/", headers={"accept-encoding": "br"})
    assert raw_br.headers["content-encoding"] == "br"
    raw_gz = await client.get("/fr/", headers={"accept-encoding": "gzip;q=1, br;q=0"})
    assert raw_gz.headers["content-encoding"] == "gzip"
    assert len({plain.headers["etag"], raw_br.headers["etag"], raw_gz.headers["etag"]}) == 3
    assert raw_br.headers["vary"] == "Accept-Encoding"
    # httpx decodes both for us: the same page in every encoding.
    assert raw_br.content == plain.content == raw_gz.content
    # A client holding the gzip copy may revalidate it while asking for brotli.
    revalidate = await client.get(
        "/fr/", headers={"accept-encoding": "br", "if-none-match": raw_gz.headers["etag"]}
    )
    assert revalidate.status_code == 304
    assert revalidate.headers["etag"] == raw_gz.headers["etag"]


def test_build_compresses_once() -> None:
    from datetime import UTC, datetime

    body = b"<p>hello</p>" * 200
    cached = CachedResponse.build(body, "text/html", "public", datetime.now(UTC), "/x")
    assert cached.gzip and gzip.decompress(cached.gzip.body) == body
    assert cached.br and brotli.decompress(cached.br.body) == body
    assert cached.choose(b"gzip, deflate, br") is cached.br
    assert cached.choose(b"") is cached.identity
    assert _accepted_codings(b"br;q=0, gzip;q=junk") == set()


async def test_head_has_headers_and_no_body(client: httpx.AsyncClient) -> None:
    response = await client.head("/en/citizenship")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 1000


async def test_static_assets_are_fingerprinted_and_immutable(client: httpx.AsyncClient) -> None:
    page = (await client.get("/en/")).text
    href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert href.startswith("/static/css/site.") and href.endswith(".css")
    css = await client.get(href)
    assert css.status_code == 200
    assert "immutable" in css.headers["cache-control"]
    assert "max-age=31536000" in css.headers["cache-control"]
    assert (await client.get("/static/css/site.css")).status_code == 404


async def test_cached_page_does_not_touch_the_database(
    make_settings: Callable[..., Settings],
) -> None:
    """Point the site at a database that cannot exist: information pages still serve."""
    settings = make_settings(database_url=UNREACHABLE_DATABASE)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/", "/en/", "/fr/", "/en/express-entry"):
                assert (await client.get(path)).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"].startswith("unavailable")


async def test_changed_file_is_seen_after_reload(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, folder)
    settings = make_settings(content_dir=folder)
    migrated(settings)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            before = await client.get("/en/guide")
            assert "Who can sponsor" in before.text
            page = folder / "guide.en.md"
            page.write_text(page.read_text().replace("Who can sponsor", "Who may sponsor"))
            assert app.state.content.reload_if_changed() is True
            after = await client.get("/en/guide", headers={"if-none-match": before.headers["etag"]})
            assert after.status_code == 200
            assert "Who may sponsor" in after.text
            assert after.headers["etag"] != before.headers["etag"]
            # A broken edit keeps the last good version online.
            page.write_text("no front matter at all")
            assert app.state.content.reload_if_changed() is False
            assert "Who may sponsor" in (await client.get("/en/guide")).text
            assert app.state.content.reload_if_changed() is False  # no retry storm


async def test_only_pre_rendered_answers_carry_an_etag(client: httpx.AsyncClient) -> None:
    """The surge lab tells pre-rendered answers from the rest by their ETag
    (``lab/browser.py`` ``pre_rendered``): pages worked out per request must send none."""
    assert "etag" in (await client.get("/en/express-entry")).headers
    for path in ("/en/eligibility/crs-calculator", "/en/search?q=visa", "/en/account/sign-in"):
        answer = await client.get(path)
        assert answer.status_code == 200 and "etag" not in answer.headers, path

"""Issue 12, items 6 and 7: rate limits know who is asking (behind the trusted proxy too) and
what a route does (a calculator is not a form submission)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from northbound.app import create_app
from northbound.settings import Settings
from tests.support.accounts import FAST_HASHING, SIGN_IN, SIGN_UP, fast_settings, tokens
from tests.support.answers import CRS_OK

PROXY = {"trusted_proxy_header": "x-forwarded-for", "trusted_proxies": ["127.0.0.0/8"]}


@pytest.fixture
async def behind_proxy(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[httpx.AsyncClient]:
    # a copy: the shared FAST_HASHING must not leak three attempts into other tests
    accounts = FAST_HASHING.model_copy(update={"sign_in_attempts_per_client": 3})
    settings = fast_settings(make_settings, rate_limit=PROXY, accounts=accounts)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def _sign_in_from(client: httpx.AsyncClient, address: str, language: str) -> int:
    form = {**await tokens(client, SIGN_IN[language]), "email": "x@example.com",
            "password": "not the password"}  # fmt: skip
    response = await client.post(SIGN_IN[language], data=form, headers={"x-forwarded-for": address})
    return response.status_code


async def test_sign_in_limit_is_per_person_behind_the_trusted_proxy(
    behind_proxy: httpx.AsyncClient,
) -> None:
    first = "203.0.113.7"
    statuses = [await _sign_in_from(behind_proxy, first, lang) for lang in ("en", "fr", "en")]
    assert statuses == [400, 400, 400]
    # both languages and the API share one bucket: the fourth attempt is refused
    assert await _sign_in_from(behind_proxy, first, "fr") == 429
    api = await behind_proxy.post("/api/v1/session", json={"email": "x@y.ca", "password": "p"},
                                  headers={"x-forwarded-for": first})  # fmt: skip
    assert api.status_code == 429 and int(api.headers["retry-after"]) >= 1
    # someone else behind the same load balancer is not held back by that
    assert await _sign_in_from(behind_proxy, "198.51.100.9", "en") == 400
    api = await behind_proxy.post("/api/v1/session", json={"email": "x@y.ca", "password": "p"},
                                  headers={"x-forwarded-for": "198.51.100.10"})  # fmt: skip
    assert api.status_code == 401


@pytest.fixture
async def shipped_limits(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[httpx.AsyncClient]:
    settings = fast_settings(make_settings, rate_limit={})
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_calculators_are_paced_as_reads_not_submissions(
    shipped_limits: httpx.AsyncClient,
) -> None:
    client = shipped_limits
    # the submit class holds 20 tokens; a settlement agency scores more clients than that
    for _ in range(30):
        response = await client.post("/api/v1/eligibility/crs", json=CRS_OK)
        assert response.status_code == 200
    for _ in range(25):
        page = await client.post("/en/eligibility/crs-calculator", data={"age": "29"})
        assert page.status_code in (200, 422)
    # a form that changes something still draws from the submit bucket
    statuses = []
    for _ in range(25):
        form = {"csrf_token": "x", "email": "a@b.ca"}
        statuses.append((await client.post(SIGN_UP["en"], data=form)).status_code)
    assert 429 in statuses

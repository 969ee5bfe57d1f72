"""The waiting-room tests' fixtures: stores of each kind (in process, and Redis when it runs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.waiting_room import delete_keys, make_store

STORES = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=STORES)
async def store_factory(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Makes stores of one kind; Redis ones share a prefix unique to the test."""
    kind = request.param
    url = prefix = None
    if kind == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
    made: list[Any] = []

    def factory() -> Any:
        store = make_store(kind, url, prefix or "")
        made.append(store)
        return store

    factory.kind = kind  # type: ignore[attr-defined]
    yield factory
    for store in made:
        await store.close()
    if url and prefix:
        await delete_keys(url, prefix.rstrip(":"))

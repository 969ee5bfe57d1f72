"""A served site leaves its start-up heap out of garbage collection; the tests' apps do not."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from asgi_lifespan import LifespanManager

import northbound.app
from northbound.app import app_from_environment, create_app
from northbound.ops.heap import freeze_start_up_heap
from northbound.settings import Settings


def test_freezing_leaves_what_is_alive_out_of_collections() -> None:
    try:
        frozen = freeze_start_up_heap()
        assert frozen > 0 and gc.get_freeze_count() > 0  # (frozen objects can still be freed)
        # a full collection now walks only what is made from here on
        assert all(len(gc.get_objects(generation)) < frozen for generation in range(3))
    finally:
        gc.unfreeze()


async def test_a_served_site_freezes_once_started(settings: Settings) -> None:
    assert gc.get_freeze_count() == 0
    app = create_app(settings, freeze_heap=True)
    try:
        async with LifespanManager(app):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    app = create_app(settings)
    async with LifespanManager(app):
        assert gc.get_freeze_count() == 0


def test_the_server_factory_asks_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: dict[str, Any] = {}

    def fake_create_app(settings: Settings, **options: Any) -> Any:
        asked.update(options)
        return object()

    monkeypatch.setenv("NORTHBOUND_SECRET_KEY", "a-shared-secret-for-every-worker")
    monkeypatch.setattr(northbound.app, "create_app", fake_create_app)
    app_from_environment()
    assert asked == {"freeze_heap": True}

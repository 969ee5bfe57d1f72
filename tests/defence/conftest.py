"""The site with its defence, running in process: with the shipped rate limits, and with the
room on and paused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from northbound.settings import Settings
from tests.support.accounts import fast_settings
from tests.support.apps import STEADY_SURGE
from tests.support.defence import (
    ADMIN,
    TOKEN,
    running,
)


@pytest.fixture
async def default_limits(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = fast_settings(make_settings, rate_limit={})  # the shipped defaults
    async with running(settings) as pair:
        yield pair


@pytest.fixture
async def room_on(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = fast_settings(
        make_settings,
        waiting_room={"mode": "on", "admin_token": TOKEN, "tick_seconds": 30},
        # a fixed limit: the inlet's budget must not depend on how loaded the test machine is
        admission=STEADY_SURGE["admission"],
    )
    async with running(settings) as (app, client):
        paused = await client.post(f"{ADMIN}/pause", headers={"authorization": f"Bearer {TOKEN}"})
        assert paused.status_code == 200, paused.text
        yield app, client

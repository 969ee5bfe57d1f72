"""Helpers shared by the tests of the surge defence as the site installs it (tests/defence/):
the site's settings for a test, the app running in process, the operator's token."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from northbound.app import create_app
from northbound.settings import Settings

ADMIN = "/api/v1/admin/room"
TOKEN = "operator-token-for-tests"
TOOL = "/en/eligibility/crs-calculator"
# The room queues the site's stateful pages; the enquiry form stores what it is sent.
QUEUED = "/en/contact-us"
# Only the limit and the queue decide in these tests: a busy test machine's event-loop lag
# must not shed requests the test expects to be served.
CALM = {"loop_lag_threshold_seconds": 3600, "accept_queue_max_wait_seconds": 0}


def two_slots(*, max_queue: int) -> dict[str, object]:
    """Admission control with room for two requests, so a handful of them overloads it."""
    return {"algorithm": "fixed", "initial_limit": 2, "min_limit": 1, "max_queue": max_queue,
            **CALM}  # fmt: skip


CLIENT_ERROR = re.compile(r"^4\d\d$")


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c


async def resume(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The operator resumes the paused room and the inlet runs for a second: it lets people
    in at a rate, so a tick right after another owes nobody yet."""
    await client.post(f"{ADMIN}/resume", headers={"authorization": f"Bearer {TOKEN}"})
    await app.state.defence.room.tick()
    await asyncio.sleep(1.1)
    await app.state.defence.room.tick()

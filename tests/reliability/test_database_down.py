"""The database down or slow: the site degrades, it does not crash.

Information pages and the eligibility tools keep working; forms answer 503 "submissions are
paused" (in the visitor's language, the posted form handed back), the API answers problem JSON
with Retry-After, /readyz names the open circuit; when the database is back, submissions work
and an idempotent retry gets the receipt it would have got.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.engine.url import make_url

from northbound.app import create_app
from northbound.settings import Settings
from northbound.storage import migrate
from northbound.storage.database import Database
from northbound.surge.breaker import BreakerState
from tests.support.accounts import FAST_HASHING, PASSWORD, PR_ANSWERS, field_value, signed_session
from tests.support.answers import CRS_OK
from tests.support.services import UNREACHABLE_DATABASE

PAUSED = {"en": "Submissions are paused", "fr": "Les soumissions sont suspendues"}
KEPT = {
    "en": "Nothing you already submitted is lost",
    "fr": "Rien de ce que vous avez déjà soumis n'est perdu",
}
INFORMATION_PAGES = ("/", "/en/", "/fr/", "/en/express-entry")
TOOLS = ("/en/eligibility/", "/fr/admissibilite/", "/en/eligibility/crs-calculator")


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield app, client


async def assert_database_free_parts_work(client: httpx.AsyncClient) -> None:
    for path in (*INFORMATION_PAGES, *TOOLS):
        assert (await client.get(path)).status_code == 200, path
    score = await client.post("/api/v1/eligibility/crs", json=CRS_OK)
    assert score.status_code == 200 and score.json()["total"] > 0


def assert_paused_page(response: httpx.Response, language: str) -> None:
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["cache-control"] == "no-store"
    assert PAUSED[language] in response.text and KEPT[language] in response.text


def assert_paused_problem(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Submissions are paused"


# --- An unreachable database, from start-up ------------------------------------------------


async def test_unreachable_database_pauses_forms_and_keeps_the_rest(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        accounts=FAST_HASHING,
        database_url=UNREACHABLE_DATABASE,
        database_breaker={"failure_threshold": 2, "reset_seconds": 60},
    )
    async with running(settings) as (app, client):
        await assert_database_free_parts_work(client)

        # The sign-up form renders without the database while the circuit is still closed;
        # posting it fails, and the page hands the form back without the password.
        form = await client.get("/en/account/sign-up")
        assert form.status_code == 200
        posted = await client.post(
            "/en/account/sign-up",
            data={
                "csrf_token": field_value(form.text, "csrf_token"),
                "email": "kept@example.com",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        assert_paused_page(posted, "en")
        assert "What you just sent has not been saved yet." in posted.text
        assert "passwords are not kept" in posted.text
        assert PASSWORD not in posted.text

        # The circuit is open now (notice refresh at start-up + the sign-up): forms are
        # refused before anyone types, in both languages, and nothing touches the database.
        assert _breaker_state(app) is BreakerState.OPEN
        for path, language in (
            ("/en/account/sign-up", "en"),
            ("/fr/compte/inscription", "fr"),
            ("/en/account/sign-in", "en"),
            ("/fr/compte/demandes", "fr"),
            ("/en/account/applications/new", "en"),
        ):
            assert_paused_page(await client.get(path), language)

        # A form without secrets comes back as a "Send again" button with every value.
        french = await client.post(
            "/fr/compte/demandes/nouvelle",
            data={
                "csrf_token": "tok-123",
                "idempotency_key": "key-12345678",
                "kind": "citizenship",
                "note": 'a "quoted" <value>',
            },
        )
        assert_paused_page(french, "fr")
        assert "Envoyer de nouveau" in french.text
        assert 'action="/fr/compte/demandes/nouvelle"' in french.text
        for name, value in (
            ("idempotency_key", "key-12345678"),
            ("kind", "citizenship"),
            ("csrf_token", "tok-123"),
            ("note", "a &#34;quoted&#34; &lt;value&gt;"),
        ):
            assert f'name="{name}" value="{value}"' in french.text

        # API clients get problem details.
        assert_paused_problem(
            await client.post(
                "/api/v1/session", json={"email": "a@example.com", "password": PASSWORD}
            )
        )
        session_cookie = "nb_session=" + signed_session(settings)
        assert_paused_problem(
            await client.post(
                "/api/v1/applications",
                json={"kind": "pr_interest", "answers": PR_ANSWERS},
                headers={"idempotency-key": "outage-key-1", "cookie": session_cookie},
            )
        )
        assert_paused_problem(
            await client.get("/api/v1/applications", headers={"cookie": session_cookie})
        )

        ready = await client.get("/readyz")
        assert ready.status_code == 503 and int(ready.headers["retry-after"]) >= 1
        assert ready.json()["checks"]["database"] == "unavailable: circuit open"
        assert ready.json()["circuits"]["database"] == "open"

        # Information pages and tools are still fine with the circuit open.
        await assert_database_free_parts_work(client)


async def test_readyz_does_not_touch_a_dead_database_while_the_circuit_is_open(
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(
        database_url=UNREACHABLE_DATABASE,
        database_breaker={"failure_threshold": 1, "reset_seconds": 60},
    )
    async with running(settings) as (app, client):
        db: Database = app.state.db
        connects = 0
        real_connect = db.engine.sync_engine.pool.connect

        def counting_connect() -> Any:
            nonlocal connects
            connects += 1
            return real_connect()

        monkeypatch.setattr(db.engine.sync_engine.pool, "connect", counting_connect)
        for _ in range(20):
            assert (await client.get("/readyz")).status_code == 503
        assert connects == 0


# --- PostgreSQL going away in the middle of a run, then coming back -------------------------


class CuttableLink:
    """A TCP relay in front of PostgreSQL: ``cut()`` drops every connection and resets new
    ones (as a crashed server or a lost network would), ``restore()`` brings it back."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.down = False
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.listen_port = self.server.sockets[0].getsockname()[1]

    async def restore(self) -> None:
        self.down = False

    async def cut(self) -> None:
        self.down = True
        for writer in list(self.writers):
            writer.transport.abort()
        for task in list(self.tasks):
            task.cancel()
        self.writers.clear()

    async def close(self) -> None:
        await self.cut()
        assert self.server is not None
        self.server.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            sink.transport.abort()
            self.writers.discard(sink)


async def _receipt(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post(
        "/api/v1/applications",
        json={"kind": "pr_interest", "answers": PR_ANSWERS},
        headers={"idempotency-key": key},
    )


@pytest.mark.postgres
async def test_postgres_going_away_mid_run_and_coming_back(
    make_settings: Callable[..., Settings],
    postgres_url: str,
) -> None:
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    real = make_url(postgres_url)
    link = CuttableLink(real.host or "127.0.0.1", real.port or 5432)
    await link.start()
    through_link = real.set(host="127.0.0.1", port=link.listen_port)
    settings = make_settings(
        accounts=FAST_HASHING,
        database_url=through_link.render_as_string(hide_password=False),
        database_breaker={
            "failure_threshold": 2,
            "reset_seconds": 1.0,
            "connect_timeout_seconds": 2,
        },
    )
    async with running(settings) as (app, client):
        created = await client.post(
            "/api/v1/accounts", json={"email": "night@example.com", "password": PASSWORD}
        )
        assert created.status_code == 202
        assert (
            await client.post(
                "/api/v1/session", json={"email": "night@example.com", "password": PASSWORD}
            )
        ).status_code == 204
        before = await _receipt(client, "before-outage-1")
        assert before.status_code == 201
        assert (await client.get("/readyz")).status_code == 200

        await link.cut()
        during = await _receipt(client, "during-outage-1")
        assert_paused_problem(during)
        assert_paused_page(await client.get("/en/account/applications"), "en")
        assert _breaker_state(app) is BreakerState.OPEN
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "unavailable: circuit open"
        assert_paused_page(await client.get("/fr/compte/demandes"), "fr")
        await assert_database_free_parts_work(client)

        await link.restore()
        await asyncio.sleep(1.1)  # the circuit's reset time: the next call is the probe
        assert (await client.get("/readyz")).status_code == 200
        assert _breaker_state(app) is BreakerState.CLOSED

        # The submission refused during the outage goes through when retried, once.
        after = await _receipt(client, "during-outage-1")
        assert after.status_code == 201, after.text
        again = await _receipt(client, "during-outage-1")
        assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
        assert again.json()["receipt_number"] == after.json()["receipt_number"]
        # And the one acknowledged before the outage still replays to the same receipt.
        replay = await _receipt(client, "before-outage-1")
        assert replay.status_code == 200
        assert replay.json()["receipt_number"] == before.json()["receipt_number"]
        listed = await client.get("/en/account/applications")
        assert listed.status_code == 200
        assert len(re.findall(r"PR-[0-9A-Z-]+", listed.text)) >= 2
    await link.close()


def _breaker_state(app: FastAPI) -> BreakerState:
    """Read afresh: the requests in between change it, which mypy's narrowing cannot see."""
    state: BreakerState = app.state.db.breaker.state
    return state

"""Admission control's ASGI middleware and what it wires: the classifier, shed pages, exempt
paths, the accept-queue veto, the refusals' spread."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from northbound.surge.admission import (
    AdmissionControl,
    AdmissionControlMiddleware,
    AdmissionSettings,
    AIMDLimit,
    DefaultClassifier,
    Limiter,
    Permit,
    Priority,
    ShedReason,
)
from northbound.surge.admission.accept_queue import AcceptQueueMonitor
from northbound.surge.capacity import CapacitySignal
from northbound.surge.shed_page import CannedResponse, Variant
from tests.support.admission import limiter, take
from tests.support.asgi import Recorder, http_scope, ok_app, run
from tests.support.clock import FakeClock

CRITICAL, NORMAL, SHEDDABLE = Priority.CRITICAL, Priority.NORMAL, Priority.SHEDDABLE


def test_default_classifier() -> None:
    classify = DefaultClassifier(session_cookie="sid")
    assert classify(http_scope("POST")) is CRITICAL
    assert classify(http_scope("DELETE")) is CRITICAL
    assert classify(http_scope()) is SHEDDABLE
    assert classify({**http_scope(), "surge.pass": object()}) is NORMAL
    assert classify({**http_scope(), "surge.pass": None}) is SHEDDABLE
    assert classify(http_scope(headers=[(b"cookie", b"a=1; sid=abc")])) is NORMAL
    assert classify(http_scope(headers=[(b"cookie", b"sid=")])) is SHEDDABLE
    assert classify(http_scope(headers=[(b"cookie", b"xsid=abc")])) is SHEDDABLE


def test_a_question_to_a_calculator_ranks_with_the_people_inside() -> None:
    """Pages under ``reads`` are served without a place in line: whatever the method, they
    rank NORMAL, with pass holders, below form submissions and the end of a wait."""
    classify = DefaultClassifier(session_cookie="sid", reads=("/calc/",))
    assert classify(http_scope("POST", "/calc/score")) is NORMAL  # asks, finishes nothing
    assert classify(http_scope("GET", "/calc/score")) is NORMAL  # no pass needed here
    assert classify(http_scope("POST", "/calc/score", [(b"cookie", b"sid=abc")])) is NORMAL
    assert classify({**http_scope("GET", "/calc/score"), "surge.admitted": True}) is CRITICAL
    assert classify(http_scope("POST", "/apply")) is CRITICAL  # anything else still finishes
    assert classify(http_scope("GET", "/apply")) is SHEDDABLE
    assert classify(http_scope("POST", "/calcs")) is CRITICAL  # a prefix, not a lookalike


# Middleware ------------------------------------------------------------------------------------
def full_middleware(**kwargs: Any) -> tuple[AdmissionControlMiddleware, Limiter]:
    timeouts = {CRITICAL: 0.01, NORMAL: 0.01, SHEDDABLE: 0.01}
    lim = limiter(10, queue_timeouts=timeouts)
    take(lim, NORMAL, 9)  # only critical requests still fit
    return AdmissionControlMiddleware(ok_app, limiter=lim, retry_after=7, **kwargs), lim


async def test_middleware_sheds_low_priority_before_reading_the_body() -> None:
    app, lim = full_middleware()
    shed = await run(app, http_scope())
    assert shed.status == 503
    assert shed.receive_calls == 0
    assert shed.headers[b"retry-after"] == b"7"
    assert shed.body == app.shed_response.bodies[Variant.HTML_EN]
    assert shed.messages[-1].get("more_body", False) is False
    served = await run(app, http_scope("POST"))
    assert (served.status, served.body, served.receive_calls) == (200, b"ok", 1)
    assert lim.in_flight == 9


async def test_middleware_shed_variants_are_the_prerendered_bytes() -> None:
    app, _ = full_middleware()
    french = await run(app, http_scope(path="/fr/demande"))
    assert french.body == app.shed_response.bodies[Variant.HTML_FR]
    assert french.body.index(b'lang="fr"') < french.body.index(b'lang="en"')
    api = await run(app, http_scope(path="/api/status"))
    assert api.headers[b"content-type"] == b"application/problem+json"
    problem = json.loads(api.body)
    assert problem["status"] == 503 and problem["retry_after"] == 7
    by_language = await run(app, http_scope(headers=[(b"accept-language", b"fr-CA,fr;q=0.9")]))
    assert by_language.body == app.shed_response.bodies[Variant.HTML_FR]
    wants_json = await run(app, http_scope(headers=[(b"accept", b"application/json")]))
    assert wants_json.body == app.shed_response.bodies[Variant.JSON_EN]
    for response in (french, api, by_language, wants_json):
        assert int(response.headers[b"content-length"]) == len(response.body)


async def test_middleware_exempt_paths_and_other_scopes_bypass_admission() -> None:
    app, lim = full_middleware(exempt_prefixes=("/healthz",))
    assert (await run(app, http_scope(path="/healthz"))).status == 200
    assert lim.in_flight == 9
    seen: list[str] = []

    async def inner(s: Scope, receive: Receive, send: Send) -> None:
        seen.append(s["type"])

    wrapped = AdmissionControlMiddleware(inner, limiter=lim)
    await wrapped({"type": "websocket", "path": "/ws"}, Recorder().receive, Recorder().send)
    assert seen == ["websocket"]


async def test_middleware_queued_request_that_times_out_gets_a_complete_503() -> None:
    app, lim = full_middleware()
    take(lim, CRITICAL, 1)  # now even critical requests must wait, and time out
    response = await run(app, http_scope("POST"))
    assert response.status == 503 and response.receive_calls == 0
    # a refused form post: no automatic retry (it would fetch the empty form), advice instead
    assert b'http-equiv="refresh"' not in response.body
    assert b"send it again" in response.body
    assert b'http-equiv="refresh"' in app.shed_response.bodies[Variant.HTML_EN]  # a GET's page


async def test_middleware_releases_on_app_error_and_counts_a_drop() -> None:
    clock = FakeClock(50.0)
    lim = Limiter(AIMDLimit(initial_limit=10, backoff_ratio=0.5, clock=clock), clock=clock)

    async def broken(s: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    app = AdmissionControlMiddleware(broken, limiter=lim)
    with pytest.raises(RuntimeError):
        await run(app, http_scope())
    assert lim.in_flight == 0 and lim.limit == 5


async def test_middleware_sets_priority_in_scope_and_starts_lag_monitor() -> None:
    seen: list[Priority] = []

    async def inner(s: Scope, receive: Receive, send: Send) -> None:
        seen.append(s["surge.priority"])
        await ok_app(s, receive, send)

    # the site names its session cookie (defence.py passes the portal's)
    app = AdmissionControlMiddleware.from_settings(
        inner, AdmissionSettings(), session_cookie="nb_session"
    )
    assert (await run(app, http_scope(headers=[(b"cookie", b"nb_session=1")]))).status == 200
    assert seen == [NORMAL]
    assert app.lag_monitor is not None and app.lag_monitor.running
    await app.lag_monitor.stop()
    assert not app.lag_monitor.running


# Accept-queue depth ----------------------------------------------------------------------------
class FakeBacklog:
    def __init__(self, wait: float = 0.0) -> None:
        self.wait = wait
        self.arrivals = 0

    def arrived(self) -> None:
        self.arrivals += 1


async def test_accept_queue_wait_vetoes_like_loop_lag() -> None:
    backlog = FakeBacklog(1.0)  # four times the allowed wait: every sheddable request refused
    lim = limiter(10, backlog_signal=backlog, backlog_max_wait=0.25)
    assert await lim.acquire(SHEDDABLE) is ShedReason.BACKLOG
    assert lim.try_acquire(SHEDDABLE) is None
    assert lim.saturated
    held = take(lim, NORMAL, 9)
    normal = asyncio.create_task(lim.acquire(NORMAL))  # no room: queues, not refused
    await asyncio.sleep(0)
    assert lim.waiting == 1
    assert isinstance(await lim.acquire(CRITICAL), Permit)
    for permit in held:
        permit.release()
    assert isinstance(await normal, Permit)
    backlog.wait = 0.1
    assert isinstance(await lim.acquire(SHEDDABLE), Permit)
    assert backlog.arrivals == 14  # every decision told the signal a request arrived


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux TCP_INFO")
def test_accept_queue_monitor_reads_the_kernel_queue() -> None:
    clock = FakeClock(50.0)
    monitor = AcceptQueueMonitor(refresh=0.01, clock=clock)
    server = socket.create_server(("127.0.0.1", 0), backlog=16)
    clients = []
    try:
        assert monitor.depth == 0
        for _ in range(3):
            clients.append(socket.create_connection(server.getsockname(), timeout=2))
        assert monitor.depth == 0  # cached until the refresh interval passes
        clock.now += 0.02
        assert monitor.depth == 3
        server.accept()[0].close()
        clock.now += 0.02
        assert monitor.depth == 2
    finally:
        for client in clients:
            client.close()
        server.close()
        monitor.close()


def test_admission_control_bundle_shares_one_limiter() -> None:
    admission = AdmissionControl.from_settings(AdmissionSettings(initial_limit=12))
    middleware = AdmissionControlMiddleware(ok_app, **admission.options(site_name="Test"))
    assert middleware.limiter is admission.limiter
    assert middleware.lag_monitor is admission.lag_monitor
    assert admission.limiter.hidden.backlog_signal is admission.accept_queue
    assert b"Test" in middleware.shed_response.bodies[Variant.HTML_EN]
    signal: CapacitySignal = admission.limiter
    assert signal.limit == 12


async def _refusals(canned: CannedResponse, count: int) -> list[tuple[int, bytes]]:
    """(Retry-After, body) of ``count`` GETs refused one after another."""
    answers = []
    for _ in range(count):
        client = Recorder()
        await canned.send(http_scope(path="/en/"), client.send)
        answers.append((int(client.headers[b"retry-after"]), client.body))
    return answers


async def test_people_refused_together_are_told_to_come_back_at_different_times() -> None:
    """With one Retry-After for everyone, a burst of refusals came back as one burst, was
    refused again, and the site swung between full and a quarter busy with the period of the
    Retry-After (the lab's election night). Spread, the waits cover the range evenly, the
    page's text and refresh agree with the header, and the mean stays the setting."""
    answers = await _refusals(CannedResponse(503, 5, spread=2), 10)
    waits = [wait for wait, _ in answers]
    assert sorted(waits) == [3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    assert sum(waits) / len(waits) == 5
    for wait, page in answers:
        assert f'content="{wait}"'.encode() in page  # the page retries when the header says
        assert f"about {wait} seconds".encode() in page
    short = CannedResponse(503, 1, spread=3)
    assert {wait for wait, _ in await _refusals(short, 8)} == {
        1, 2, 3, 4,
    }  # fmt: skip  # never under a second
    # its bodies (what a caller reads outside a refusal) are those of the setting itself,
    # not of the middle of a range clipped at one second
    assert json.loads(short.bodies[Variant.JSON_EN])["retry_after"] == 1

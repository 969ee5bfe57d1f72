"""The priority limiter and its ASGI middleware."""

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
    FixedLimit,
    Limiter,
    Permit,
    Priority,
    ShedReason,
)
from northbound.surge.admission.accept_queue import AcceptQueueMonitor
from northbound.surge.capacity import CapacitySignal
from northbound.surge.shed_page import CannedResponse, Variant
from tests.support.asgi import Recorder, http_scope, ok_app, run
from tests.support.clock import FakeClock

CRITICAL, NORMAL, SHEDDABLE = Priority.CRITICAL, Priority.NORMAL, Priority.SHEDDABLE


class FakeLag:
    def __init__(self, lag: float = 0.0) -> None:
        self.lag = lag


def limiter(limit: int = 10, **kwargs: Any) -> Limiter:
    kwargs.setdefault("clock", FakeClock(50.0))
    return Limiter(FixedLimit(limit), **kwargs)


def take(lim: Limiter, priority: Priority, count: int) -> list[Permit]:
    permits = [lim.try_acquire(priority) for _ in range(count)]
    assert all(p is not None for p in permits)
    return [p for p in permits if p is not None]


# Limiter ---------------------------------------------------------------------------------------
def test_each_priority_fills_only_its_share() -> None:
    lim = limiter(10)
    take(lim, SHEDDABLE, 7)
    assert lim.try_acquire(SHEDDABLE) is None
    take(lim, NORMAL, 2)
    assert lim.try_acquire(NORMAL) is None
    take(lim, CRITICAL, 1)
    assert lim.try_acquire(CRITICAL) is None
    assert lim.in_flight == 10


def test_limiter_is_a_capacity_signal() -> None:
    clock = FakeClock(50.0)
    lim = limiter(4, clock=clock, max_queue=0)
    signal: CapacitySignal = lim
    assert (signal.limit, signal.in_flight, signal.saturated) == (4, 0, False)
    take(lim, CRITICAL, 4)
    assert signal.in_flight == 4 and not signal.saturated
    assert asyncio.run(lim.acquire(NORMAL)) is ShedReason.QUEUE_FULL
    assert signal.saturated
    clock.now += lim.saturation_hold + 0.01
    assert not signal.saturated


def test_the_requests_of_people_the_room_let_in_are_counted_apart_while_they_hold_a_slot() -> None:
    """``holders_*``: a permit admitted as a holder's adds to their in-flight and busy time
    while it holds its slot, not while it stands aside (waiting for a password hash: the
    slot is given back) nor after its release; everyone's figures count it as before."""
    clock = FakeClock(50.0)
    lim = limiter(4, clock=clock, max_queue=0)
    holder = lim.decide(NORMAL, holder=True)
    assert isinstance(holder, Permit) and holder.holder
    (other,) = take(lim, NORMAL, 1)
    assert (lim.in_flight, lim.holders_in_flight) == (2, 1)
    clock.now += 2.0
    holder.step_aside()
    clock.now += 5.0  # aside: neither counts it
    holder.step_back()
    clock.now += 1.0
    holder.release()
    other.release()
    clock.now += 1.0
    assert lim.holders_busy_seconds == pytest.approx(2.0 + 1.0)
    assert lim.busy_seconds == pytest.approx(2 * 2.0 + 5.0 + 2 * 1.0)
    assert (lim.in_flight, lim.holders_in_flight) == (0, 0)
    take(lim, NORMAL, 4)  # full, and no queue: the next are shed
    assert isinstance(lim.decide(NORMAL, holder=True), ShedReason)
    assert isinstance(lim.decide(NORMAL), ShedReason)
    assert (lim.holders_shed_total, lim.shed_total) == (1, 2)  # among all, and apart


async def test_waiters_are_served_by_priority_when_slots_free() -> None:
    lim = limiter(10)
    held = take(lim, CRITICAL, 10)
    order: list[Priority] = []

    async def wait(priority: Priority) -> None:
        outcome = await lim.acquire(priority)
        assert isinstance(outcome, Permit)
        order.append(priority)

    tasks = [asyncio.create_task(wait(p)) for p in (SHEDDABLE, NORMAL, CRITICAL, NORMAL)]
    await asyncio.sleep(0)
    assert lim.waiting == 4
    for permit in held[:4]:
        permit.release()
    await asyncio.sleep(0)
    # Critical fills the 10th slot, the normals the 8th and 9th; sheddable needs fewer than 7.
    assert order == [CRITICAL, NORMAL, NORMAL]
    assert lim.in_flight == 9
    for permit in held[4:6]:
        permit.release()
    await asyncio.sleep(0)
    assert len(order) == 3
    held[6].release()
    await asyncio.gather(*tasks)
    assert order[-1] is SHEDDABLE
    assert lim.in_flight == 7


async def test_a_newcomer_never_overtakes_a_waiter_of_its_priority() -> None:
    lim = limiter(2)
    held = take(lim, CRITICAL, 2)
    waiting = asyncio.create_task(lim.acquire(CRITICAL))
    await asyncio.sleep(0)
    held[0].release()  # the slot goes straight to the waiter
    assert lim.try_acquire(CRITICAL) is None
    assert isinstance(await waiting, Permit)


async def test_queue_full_sheds_and_higher_priority_displaces_lower() -> None:
    lim = limiter(1, max_queue=1)
    take(lim, CRITICAL, 1)
    sheddable = asyncio.create_task(lim.acquire(SHEDDABLE))
    await asyncio.sleep(0)
    assert await lim.acquire(SHEDDABLE) is ShedReason.QUEUE_FULL
    critical = asyncio.create_task(lim.acquire(CRITICAL))
    assert await sheddable is ShedReason.DISPLACED
    await asyncio.sleep(0)
    assert lim.waiting == 1
    critical.cancel()
    with pytest.raises(asyncio.CancelledError):
        await critical
    assert lim.waiting == 0


async def test_a_request_that_cannot_start_in_time_is_shed() -> None:
    timeouts = {CRITICAL: 0.02, NORMAL: 0.01, SHEDDABLE: 0.005}
    lim = limiter(1, queue_timeouts=timeouts)
    take(lim, CRITICAL, 1)
    assert await lim.acquire(NORMAL) is ShedReason.TIMEOUT
    assert lim.waiting == 0 and lim.in_flight == 1


async def test_standing_queue_switches_to_short_timeout_and_newest_first() -> None:
    clock = FakeClock(50.0)
    long_wait = {CRITICAL: 30.0, NORMAL: 30.0, SHEDDABLE: 30.0}
    lim = limiter(1, clock=clock, queue_timeouts=long_wait, codel_interval=0.1, codel_target=5.0)
    held = take(lim, CRITICAL, 1)
    first = asyncio.create_task(lim.acquire(NORMAL))
    await asyncio.sleep(0)
    clock.now += 0.2  # the queue has not been empty for 200 ms: it is standing
    second = asyncio.create_task(lim.acquire(NORMAL))
    await asyncio.sleep(0)
    held[0].release()
    granted = await second  # adaptive LIFO: the newest waiter gets the slot
    assert isinstance(granted, Permit)
    assert not first.done()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert lim.waiting == 0


async def test_a_standing_queue_still_serves_what_can_start_in_time() -> None:
    """Regression (the lab's election-night run at about capacity): a standing queue gave
    every newcomer CoDel's 10 ms to start, so people inside the site got 503s by the thousand
    for waits the server would have cleared in a few hundred milliseconds. The default target
    is half a second now, and a priority with a shorter timeout of its own keeps it."""
    clock = FakeClock(50.0)
    timeouts = {CRITICAL: 2.0, NORMAL: 1.0, SHEDDABLE: 0.02}
    lim = limiter(1, clock=clock, queue_timeouts=timeouts, codel_interval=0.1)
    held = take(lim, CRITICAL, 1)
    first = asyncio.create_task(lim.acquire(NORMAL))
    await asyncio.sleep(0)
    clock.now += 0.2  # the queue has not been empty for 200 ms: it is standing
    second = asyncio.create_task(lim.acquire(NORMAL))
    sheddable = asyncio.create_task(lim.acquire(SHEDDABLE))
    assert await sheddable is ShedReason.TIMEOUT  # 0.02 s, shorter than the standing target
    await asyncio.sleep(0.1)  # ten times CoDel's classic target
    assert not second.done() and not first.done()
    held[0].release()
    assert isinstance(await second, Permit)  # newest first while the queue stands
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_loop_lag_vetoes_sheddable_only() -> None:
    lag = FakeLag(0.5)
    lim = limiter(2, lag_signal=lag, lag_threshold=0.1)
    assert await lim.acquire(SHEDDABLE) is ShedReason.LOOP_LAG
    held = take(lim, NORMAL, 2)
    normal = asyncio.create_task(lim.acquire(NORMAL))  # someone inside: waits its turn
    critical = asyncio.create_task(lim.acquire(CRITICAL))
    await asyncio.sleep(0)
    assert lim.waiting == 2 and lim.saturated
    held[0].release()
    first = await critical
    assert isinstance(first, Permit)  # critical first
    held[1].release()
    second = await normal
    assert isinstance(second, Permit)
    lag.lag = 0.0
    first.release()
    second.release()
    assert isinstance(await lim.acquire(SHEDDABLE), Permit)


async def test_cancelled_waiter_leaves_no_trace_even_if_granted() -> None:
    lim = limiter(1)
    held = take(lim, CRITICAL, 1)
    waiter = asyncio.create_task(lim.acquire(CRITICAL))
    await asyncio.sleep(0)
    held[0].release()  # granted, but the task has not resumed yet
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert lim.in_flight == 0 and lim.waiting == 0


async def test_decide_answers_without_waiting_and_wait_queues_what_it_could_not() -> None:
    lim = limiter(1, max_queue=1)
    first = lim.decide(CRITICAL)
    assert isinstance(first, Permit)
    assert lim.decide(CRITICAL) is None  # no room: it would queue, and nothing is queued yet
    assert lim.waiting == 0
    waiting = asyncio.create_task(lim.wait(CRITICAL))
    await asyncio.sleep(0)
    assert lim.waiting == 1
    assert lim.decide(NORMAL) is ShedReason.QUEUE_FULL  # full, and nobody lower to displace
    first.release()
    assert isinstance(await waiting, Permit)


def test_a_limiter_exports_only_where_it_is_told() -> None:
    """Figures are process-wide: a limiter without ``metrics`` (the simulator's instances)
    leaves them alone; one given a namespace's figures keeps them current."""
    from northbound.surge.admission.metrics import admission_metrics

    figures = admission_metrics("test")
    before = figures.in_flight._value.get()
    silent = limiter(4)
    permits = take(silent, CRITICAL, 3)
    assert silent._figures is None and figures.in_flight._value.get() == before
    told = limiter(4, metrics=figures)
    more = take(told, CRITICAL, 2)  # no event loop here: the batch goes over at once
    assert figures.in_flight._value.get() == 2
    for permit in [*permits, *more]:
        permit.release()


def test_finished_requests_feed_the_limit() -> None:
    clock = FakeClock(50.0)
    lim = Limiter(AIMDLimit(initial_limit=4, clock=clock), clock=clock)
    for _ in range(3):
        permits = take(lim, CRITICAL, lim.limit)
        for permit in permits:
            clock.now += 0.01
            permit.release()
            permit.release()  # a second release is harmless
    assert lim.limit > 4 and lim.in_flight == 0


def test_shares_must_fall_with_priority() -> None:
    with pytest.raises(ValueError):
        Limiter(FixedLimit(5), shares={CRITICAL: 0.5, NORMAL: 0.9, SHEDDABLE: 0.1})


def test_settings_build_each_algorithm() -> None:
    for algorithm in ("gradient2", "aimd", "fixed"):
        settings = AdmissionSettings(algorithm=algorithm, initial_limit=30)
        assert settings.build_limiter().limit == 30
    with pytest.raises(ValueError):
        AdmissionSettings(sheddable_share=0.95, normal_share=0.9)


# Classifier ------------------------------------------------------------------------------------
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

"""What a crowd of browsers found, each on a virtual clock: the limit collapsing on latency
noise and never coming back, the inlet stalling behind holders who had left, the room
switching on at half load, people let in by the room and shed on that very request, and a
waiter whose client hung up taking a slot down with it."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from northbound.surge.admission.classify import DefaultClassifier
from northbound.surge.admission.gradient2 import Gradient2Limit
from northbound.surge.admission.limit import FixedLimit, Sample
from northbound.surge.admission.limiter import Limiter
from northbound.surge.admission.permit import Permit
from northbound.surge.admission.priority import Priority
from northbound.surge.capacity import ADMITTED_SCOPE_KEY
from northbound.surge.waiting_room import SCOPE_KEY, Controls, Waiting
from tests.support.clock import FakeClock
from tests.support.waiting_room import (
    FakeCapacity,
    Visitor,
    make_room,
    make_store,
    switch_on,
    tick_and_let_in,
)


def _windows(limit: Gradient2Limit, clock: FakeClock, count: int, rtt_of: object) -> None:
    """``count`` windows of 20 samples, each sample's RTT from ``rtt_of(i)``, busy at the limit."""
    assert callable(rtt_of)
    for _ in range(count):
        for i in range(20):
            clock.advance(0.005)
            limit.on_sample(Sample(clock.now, rtt_of(i), in_flight=limit.limit))


def test_a_few_slow_requests_do_not_read_as_overload() -> None:
    """One request in ten waits 0.3 s for a password hash; the rest take 5 ms. The server is
    not overloaded, and the limit must not fall (with the mean RTT it fell to its floor)."""
    clock = FakeClock(1000.0)
    limit = Gradient2Limit(initial_limit=20, window_seconds=0.1, warmup_windows=5, clock=clock)
    _windows(limit, clock, 10, lambda i: 0.005)
    _windows(limit, clock, 200, lambda i: 0.3 if i % 10 == 0 else 0.005)
    assert limit.limit >= 20


def test_a_limit_that_fell_comes_back_while_the_site_is_quiet() -> None:
    """A real slowdown halves the limit; then the crowd leaves. A trickle of requests (far
    below the limit) must bring the limit back to where it started, not leave it at the
    floor for the next burst."""
    clock = FakeClock(1000.0)
    limit = Gradient2Limit(initial_limit=20, window_seconds=0.1, warmup_windows=5, clock=clock)
    _windows(limit, clock, 10, lambda i: 0.005)
    _windows(limit, clock, 30, lambda i: 0.05)  # every request ten times slower
    assert limit.limit <= 10
    for _ in range(400):  # quiet: two requests in flight, normal latency
        clock.advance(0.02)
        limit.on_sample(Sample(clock.now, 0.005, in_flight=2))
    assert limit.limit >= 19


async def test_inlet_resumes_when_holders_leave_whatever_came_before() -> None:
    """Hundreds of holders were let in and made requests, then left after a page. Their passes
    are still valid and they were recently active; the server is idle. The line must move on
    the next tick (it stood still for two minutes in a crowd test)."""
    clock = FakeClock()
    capacity = FakeCapacity(limit=20)
    room = make_room(make_store("memory"), clock, capacity, requests_per_session=0.05)
    await switch_on(room)
    first = [Visitor(f"a{i}") for i in range(600)]
    while sum(v.admitted for v in first) < 20:
        for visitor in first:
            await visitor.poll(room)
        clock.advance(1)
        await room.tick()
    admitted = [v for v in first if v.admitted]
    for visitor in admitted:  # they use the site: a request each, the server is full
        assert visitor.claims is not None
        room.note_active(visitor.claims)
    capacity.in_flight = 20
    for _ in range(3):
        clock.advance(1)
        await room.tick()
    serving_when_full = room.state.serving
    capacity.in_flight = 0  # they read their page and left; nothing in flight
    later = [Visitor(f"b{i}") for i in range(50)]
    for visitor in later:
        await visitor.poll(room)
    clock.advance(1)
    await room.tick()
    assert room.active_holders >= 10  # still "active": seen within the window
    assert room.state.serving > serving_when_full  # and yet the line moves


async def test_room_stays_off_for_a_queue_and_turns_on_for_sustained_refusals() -> None:
    clock = FakeClock()
    capacity = FakeCapacity(limit=20)
    room = make_room(make_store("memory"), clock, capacity, activate_seconds=3)
    await room.tick()
    capacity.saturated, capacity.shedding = True, False  # requests queue, nobody refused
    for _ in range(10):
        clock.advance(1)
        await room.tick()
    assert not room.is_on()
    capacity.shedding = True  # one second of refusals: a burst, not a surge
    clock.advance(1)
    await room.tick()
    capacity.shedding = False
    clock.advance(1)
    await room.tick()
    assert not room.is_on()
    capacity.shedding = True  # refusals three seconds running: the room is needed
    for _ in range(3):
        clock.advance(1)
        await room.tick()
    assert room.is_on()


async def test_the_inlet_speeds_up_while_requests_queue_but_nobody_is_refused() -> None:
    """Regression (the lab's election-night run): at capacity a CPU-bound server always has a
    few requests queued for a moment, so admission control reads saturated on most ticks.
    The inlet held its rate on every such tick and the server sat 12 % idle with 200 people
    in line. Only refusals (of the people it let in) hold the rate now."""
    clock = FakeClock()
    capacity = FakeCapacity(limit=20, clock=clock)
    room = make_room(make_store("memory"), clock, capacity)
    await switch_on(room)
    for index in range(300):
        await Visitor(f"q{index}").poll(room)
    capacity.held_by_holders(5)  # a quarter of the limit busy on average
    capacity.saturated, capacity.shedding = True, False  # requests queue, nobody refused
    rates = []
    for _ in range(5):
        clock.advance(1)
        await room.tick()
        rates.append(room.inlet.rate)
    assert all(later > earlier for earlier, later in itertools.pairwise(rates))
    capacity.shedding = True  # now people are turned away, the room's own: the rate holds
    capacity.holders_shed_total += 1
    clock.advance(1)
    await room.tick()
    held = room.inlet.rate
    capacity.holders_shed_total += 1
    clock.advance(1)
    await room.tick()
    assert room.inlet.rate <= held


async def test_the_request_that_ends_a_wait_ranks_first() -> None:
    classify = DefaultClassifier("nb_session")
    scope = {"type": "http", "method": "GET", "headers": [], "surge.pass": object()}
    assert classify(scope) is Priority.NORMAL
    assert classify({**scope, ADMITTED_SCOPE_KEY: True}) is Priority.CRITICAL
    clock = FakeClock()
    room = make_room(make_store("memory"), clock, FakeCapacity(limit=20))
    await switch_on(room, fixed_rate_per_minute=60)
    visitor = Visitor("waited")
    assert isinstance(await visitor.poll(room), Waiting)
    clock.advance(2)
    await tick_and_let_in(room, clock)
    assert visitor.token is not None
    ticket = room.check_pass(visitor.token, visitor.id)
    assert ticket is not None
    # the gate marks the request on which a ticket holder's visit turns into a pass
    from northbound.surge.waiting_room.middleware import WaitingRoomMiddleware

    seen: dict[str, object] = {}

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.update(scope)

    gate = WaitingRoomMiddleware(app, room=room)  # type: ignore[arg-type]
    scope_in = {"type": "http", "method": "GET", "path": "/en/account", "headers": [],
                "query_string": b""}  # fmt: skip

    async def send(message: object) -> None:
        return None

    await gate._gate(scope_in, None, send, ticket, visitor.id)  # type: ignore[arg-type]
    assert seen.get(ADMITTED_SCOPE_KEY) is True
    # The same ticket shown again, with the room on and then off: let in with a pass each
    # time, but not as a request the site committed to (a replayed ticket was, and went past
    # admission control's limit and the hashing pool's bound every time).
    for _ in ("on", "off"):
        seen.clear()
        scope_again = {"type": "http", "method": "GET", "path": "/en/account", "headers": [],
                       "query_string": b""}  # fmt: skip
        await gate._gate(scope_again, None, send, ticket, visitor.id)  # type: ignore[arg-type]
        assert seen.get(SCOPE_KEY) is not None  # let in, with a pass
        assert ADMITTED_SCOPE_KEY not in seen
        await room.store.update_controls(Controls(mode="off"))
        await room.tick()


async def test_a_waiter_whose_client_left_does_not_take_a_slot_down() -> None:
    """A queued request is cancelled (client gone) in the same loop turn as a slot frees:
    the slot goes to the next waiter and nothing raises (it answered 500 before)."""
    limiter = Limiter(FixedLimit(1), random=random.Random(1).random)
    first = limiter.try_acquire(Priority.CRITICAL)
    assert isinstance(first, Permit)
    gone = asyncio.ensure_future(limiter.acquire(Priority.CRITICAL))
    staying = asyncio.ensure_future(limiter.acquire(Priority.CRITICAL))
    await asyncio.sleep(0)
    assert limiter.waiting == 2
    gone.cancel()
    first.release()  # same turn: the cancelled waiter is still first in the queue
    outcome = await staying
    assert isinstance(outcome, Permit)
    assert limiter.in_flight == 1
    outcome.release()
    assert limiter.in_flight == 0


async def test_the_request_that_ends_a_wait_is_never_shed() -> None:
    """The site is full and its queue too: a newcomer is shed, but the person the room just
    let in is served (counted in flight, over the limit)."""
    from northbound.surge.admission.middleware import AdmissionControlMiddleware

    limiter = Limiter(FixedLimit(1), max_queue=0, random=random.Random(1).random)
    served: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        served.append(str(scope["path"]))
        assert limiter.in_flight == 2

    control = AdmissionControlMiddleware(app, limiter=limiter)  # type: ignore[arg-type]
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    held = limiter.try_acquire(Priority.CRITICAL)
    assert held is not None
    base = {"type": "http", "method": "GET", "headers": [], "query_string": b""}
    await control({**base, "path": "/newcomer"}, receive, send)  # type: ignore[arg-type]
    assert served == [] and sent[0]["status"] == 503
    await control(
        {**base, "path": "/admitted", ADMITTED_SCOPE_KEY: True},
        receive,
        send,  # type: ignore[arg-type]
    )
    assert served == ["/admitted"]
    assert limiter.in_flight == 1


async def test_a_paused_line_says_so_instead_of_promising_a_wait() -> None:
    from northbound.surge.waiting_room.page import WaitingPage

    clock = FakeClock()
    room = make_room(make_store("memory"), clock, FakeCapacity(limit=20))
    await switch_on(room, fixed_rate_per_minute=60)
    crowd = [Visitor(f"p{i}") for i in range(30)]
    for visitor in crowd:
        await visitor.poll(room)
    for _ in range(5):
        clock.advance(1)
        await room.tick()
    await switch_on(room, paused=True)
    view = room.view(crowd[-1].position or 0)
    assert view.paused and view.estimate is None
    page = WaitingPage(
        room_path="/waiting-room", grace_seconds=60, eta_window_seconds=60,
        site_names={"en": "Northbound", "fr": "Northbound"},
        info_links={"en": "/en/", "fr": "/fr/"},
    )  # fmt: skip
    html = page.html(view, lang="en", next_path="/en/").decode()
    assert "paused" in html and "next check" not in html
    assert "en pause" in page.html(view, lang="fr", next_path="/fr/").decode()
    assert b'"paused":true' in WaitingPage.json(view).replace(b" ", b"")


async def test_a_request_waiting_elsewhere_gives_its_slot_back() -> None:
    """Sign-ups queued for a password hash held every slot and pages timed out behind them
    with the loop idle. Waiting inside ``stepped_aside`` frees the slot; the request takes
    one again (over the limit if need be) to finish, and its latency sample leaves the wait out."""
    from northbound.surge.admission.aside import CURRENT_PERMIT, stepped_aside

    clock = FakeClock(1000.0)
    samples: list[Sample] = []

    class Recording(FixedLimit):
        def on_sample(self, sample: Sample) -> None:
            samples.append(sample)

    limiter = Limiter(Recording(1), max_queue=0, clock=clock, random=random.Random(1).random)
    permit = limiter.try_acquire(Priority.NORMAL)
    assert isinstance(permit, Permit)
    CURRENT_PERMIT.set(permit)
    async with stepped_aside():
        assert limiter.in_flight == 0
        page = limiter.try_acquire(Priority.NORMAL)  # someone else's page gets the slot
        assert isinstance(page, Permit)
        clock.advance(3.0)  # the hash queue
    assert limiter.in_flight == 2  # back, over the limit: it is part way through
    clock.advance(0.1)
    permit.release()
    page.release()
    assert limiter.in_flight == 0
    assert samples[0].rtt == pytest.approx(0.1)  # the three seconds aside are not latency
    CURRENT_PERMIT.set(None)
    async with stepped_aside():  # outside admission control: nothing to give back
        assert limiter.in_flight == 0


async def test_the_line_moves_on_every_tick_while_admission_control_flickers() -> None:
    """The site is at half its limit; admission control queues a request for a moment, and
    turns one away in a burst, on most ticks. The first inlet let nobody in on such a tick,
    then everyone the spare could hold: bursts of hundreds, then seconds of a still line
    (seen in crowd runs, every 6-10 s). The line must move on every tick, by a count that
    changes smoothly."""
    clock = FakeClock()
    capacity = FakeCapacity(limit=20)
    room = make_room(make_store("memory"), clock, capacity, requests_per_session=0.05)
    capacity.held_by_holders(10)  # the people already inside
    await switch_on(room)
    crowd = [Visitor(f"g{i}") for i in range(2000)]
    for visitor in crowd:
        await visitor.poll(room)
    flicker = random.Random(3)
    admitted = []
    for _ in range(40):
        capacity.saturated = capacity.shedding = flicker.random() < 0.8
        if capacity.shedding:
            capacity.holders_shed_total += 1  # one of the people inside, turned away
        clock.advance(1)
        before = room.state.serving
        await room.tick()
        admitted.append(room.state.serving - before)
        for visitor in crowd:
            if not visitor.admitted:
                await visitor.poll(room)
    assert min(admitted) >= 1
    assert max(b - a for a, b in itertools.pairwise(admitted)) <= 2


async def test_liveness_marks_survive_a_store_failure() -> None:
    clock = FakeClock()
    room = make_room(make_store("memory"), clock)
    await switch_on(room)
    visitor = Visitor("loyal")
    await visitor.poll(room)
    await visitor.poll(room)  # a poll marks the place as alive, flushed on the next tick
    store = room.store
    real_touch = store.touch

    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis went away")

    store.touch = broken  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await room.tick()
    assert visitor.position in room.activity.touches  # kept for the next tick
    store.touch = real_touch  # type: ignore[method-assign]
    await room.tick()
    assert not room.activity.touches

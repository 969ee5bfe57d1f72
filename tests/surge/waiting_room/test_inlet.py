"""The inlet's policy on its own: a rate steered by the concurrency it causes (see
``surge/waiting_room/inlet.py``), driven by a small model of a site on a virtual clock."""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northbound.surge.waiting_room.inlet import InletInputs, InletPolicy


def _inputs(**changes: object) -> InletInputs:
    values: dict[str, object] = {
        "limit": 20, "busy": 0.0, "line_refused": False, "active": 0, "pending": 0,
        "waiting": 10_000, "elapsed_seconds": 1.0, "paused": False,
        "fixed_rate_per_minute": None, "admit_cap_per_minute": None,
    }  # fmt: skip
    values.update(changes)
    values.setdefault("holders_busy", values["busy"])  # all of it the line's, unless said
    return InletInputs(**values)  # type: ignore[arg-type]


def _policy(gain: float = 0.3, line_share: float = 0.5) -> InletPolicy:
    return InletPolicy(
        target_utilisation=0.8, requests_per_session=0.05, max_admit_per_tick=500, gain=gain,
        line_share=line_share,
    )  # fmt: skip


@dataclass
class Site:
    """People let in stay ``visit`` seconds and keep ``per_person`` requests in flight each;
    admission control turns someone away on ``flicker`` of the ticks while it has room (a
    burst), and on every tick past its limit."""

    limit: int = 20
    visit: int = 30
    per_person: float = 0.02
    flicker: float = 0.8
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    inside: deque[int] = field(default_factory=deque)  # people let in, per second

    def busy(self) -> float:
        return sum(self.inside) * self.per_person

    def tick(self, policy: InletPolicy, waiting: int = 10_000) -> int:
        busy = self.busy()
        refusing = busy >= self.limit or self.rng.random() < self.flicker
        admit = policy.decide(
            _inputs(
                limit=self.limit, busy=busy, line_refused=refusing, active=sum(self.inside),
                waiting=waiting,
            )
        )  # fmt: skip
        self.inside.append(admit)
        if len(self.inside) > self.visit:
            self.inside.popleft()
        return admit


def test_the_line_moves_every_tick_while_the_site_has_room_despite_flickers() -> None:
    """Admission control reports a moment of queueing on 80 % of ticks although the site has
    room (a Poisson crowd at 60 % of the limit looks like that). The first inlet let nobody
    in on those ticks and then let in hundreds at once; the line must move on every tick,
    at a pace that changes smoothly, and fill the site to its aim."""
    site, policy = Site(), _policy()
    # the pace people entered at before the room turned on
    policy.follow(20.0, busy=0.0, elapsed_seconds=1.0)
    admitted = [site.tick(policy) for _ in range(300)]
    steady = admitted[60:]
    assert min(steady) >= 1  # never a tick with nobody let in
    assert max(steady) <= 2 * min(steady) + 2  # no bursts
    aim = 0.8 * site.limit
    assert 0.85 * aim <= site.busy() <= 1.05 * aim


def test_an_idle_server_grows_the_rate_on_every_tick() -> None:
    policy = _policy()
    rates = []
    for _ in range(10):
        policy.decide(_inputs(busy=0.0))
        rates.append(policy.rate)
    assert all(later > earlier for earlier, later in itertools.pairwise(rates))


def test_an_opening_starts_from_the_pace_that_fills_the_free_room() -> None:
    """Before a scheduled opening nobody enters: the inlet starts from the pace that fills
    the line's part of the aim over the time people let in take to come back."""
    crowd = 10_000
    idle = _policy()
    idle.expect_opening(20, 0.0, 1.0, 0.0, arrival_seconds=8.0, waiting=crowd)
    assert idle.rate == pytest.approx(0.8 * 20 / 0.05 / 8.0)  # 40 a second on an idle site
    # the tools keep 4 of the aim's 16 busy: the line may fill the other 12
    tools = _policy()
    tools.expect_opening(20, 4.0, 1.0, 0.0, arrival_seconds=8.0, waiting=crowd)
    assert tools.rate == pytest.approx(12 / 0.05 / 8.0)
    # they keep 12 busy: the line still aims at its share, half the aim
    crowded = _policy()
    crowded.expect_opening(20, 12.0, 1.0, 0.0, arrival_seconds=8.0, waiting=crowd)
    assert crowded.rate == pytest.approx(8 / 0.05 / 8.0)
    # the load is smoothed as the stop reads it: a second of 8 after an idle spell counts as
    # 8 * (1 - e^(-1/3)), as with follow()
    smoothed = _policy()
    smoothed.expect_opening(20, 0.0, 1.0, 0.0, arrival_seconds=8.0, waiting=crowd)
    smoothed.expect_opening(20, 8.0, 1.0, 0.0, arrival_seconds=8.0, waiting=crowd)
    seen = 8.0 * (1 - math.exp(-1 / 3))
    assert smoothed.rate == pytest.approx((16 - seen) / 0.05 / 8.0)
    # the line's part full: the slowest pace; five people waiting: no more than ten a second
    full = _policy()
    full.expect_opening(20, 16.0, 1.0, 16.0, arrival_seconds=8.0, waiting=crowd)
    assert full.rate == InletPolicy.MIN_RATE
    few = _policy()
    few.expect_opening(20, 0.0, 1.0, 0.0, arrival_seconds=8.0, waiting=5)
    assert few.rate == 10.0
    # and from the opening on it is steered as usual (an idle site: up to 13 % more a second)
    assert 40 <= idle.decide(_inputs(busy=0.0)) <= 46


def test_the_rate_does_not_grow_while_the_people_let_in_are_refused() -> None:
    policy = _policy()
    policy.follow(10.0, busy=0.0, elapsed_seconds=1.0)
    for _ in range(5):
        policy.decide(_inputs(busy=2.0, line_refused=True))
    assert policy.rate == 10.0


def test_a_site_past_its_aim_cuts_the_rate_and_one_full_for_seconds_lets_nobody_in() -> None:
    policy = _policy()
    policy.follow(10.0, busy=0.0, elapsed_seconds=1.0)
    assert policy.decide(_inputs(busy=19.0)) >= 1  # past the aim of 16: fewer, not none
    assert policy.rate < 10.0
    rate = policy.rate
    # admission control's limit fell under what is in flight (capacity lost): the door shuts
    # within a few seconds, and stays shut while that lasts
    admitted = [policy.decide(_inputs(busy=24.0, line_refused=True)) for _ in range(8)]
    assert admitted[5:] == [0, 0, 0]
    assert policy.rate >= InletPolicy.MIN_RATE
    assert policy.decide(_inputs(busy=0.0)) >= 1  # room again: on the very next tick
    assert policy.rate < rate


def test_a_burst_to_the_limit_does_not_stop_the_line() -> None:
    """A CPU-bound site under its aim on average still reaches its limit in short bursts
    (one tick in three here). The stop used to read each tick's load and let nobody in on
    those ticks; the load of a crowd comes mostly from people let in seconds before, so it
    then fell away and the site idled while people waited."""
    policy = _policy()
    policy.follow(10.0, busy=12.0, elapsed_seconds=1.0)
    readings = itertools.cycle([12.0, 12.0, 20.0])  # mean 14.7, under the aim of 16
    admitted = [policy.decide(_inputs(busy=next(readings), line_refused=True)) for _ in range(60)]
    assert min(admitted) >= 1


def test_the_burst_that_turns_the_room_on_does_not_shut_its_door() -> None:
    """The room turns on because the site was full for a moment; its first tick reads that
    moment. The smoothed load carries on from before (``follow``), so it lets people in."""
    policy = _policy()
    for _ in range(10):
        policy.follow(30.0, busy=12.0, elapsed_seconds=1.0)
    assert policy.decide(_inputs(busy=20.0, line_refused=True)) >= 1


def test_people_let_in_who_have_not_shown_up_yet_count_as_load() -> None:
    policy, other = _policy(), _policy()
    policy.follow(10.0, busy=0.0, elapsed_seconds=1.0)
    other.follow(10.0, busy=0.0, elapsed_seconds=1.0)
    policy.decide(_inputs(busy=8.0, pending=0))
    other.decide(_inputs(busy=8.0, pending=300))  # 300 x 0.05 = 15 more on their way
    assert other.rate < 10.0 < policy.rate


def test_the_rate_does_not_grow_past_what_the_line_could_use() -> None:
    policy = _policy()
    for _ in range(100):
        policy.decide(_inputs(busy=0.0, waiting=3))
    assert policy.rate <= 6.0  # twice the three people waiting, a second


def test_paused_lets_nobody_in_and_a_fixed_rate_is_kept_exactly() -> None:
    policy = _policy()
    assert policy.decide(_inputs(paused=True)) == 0
    total = sum(policy.decide(_inputs(fixed_rate_per_minute=90, busy=30.0)) for _ in range(60))
    assert total == 90


@settings(max_examples=50)
@given(
    cap=st.integers(min_value=1, max_value=600),
    busy=st.floats(min_value=0.0, max_value=40.0),
    seconds=st.integers(min_value=60, max_value=240),
)
def test_the_operators_cap_per_minute_is_never_exceeded(
    cap: int, busy: float, seconds: int
) -> None:
    policy = _policy()
    policy.follow(1000.0, busy=0.0, elapsed_seconds=1.0)
    total = sum(
        policy.decide(_inputs(busy=busy, admit_cap_per_minute=cap, limit=50))
        for _ in range(seconds)
    )
    assert total <= cap * seconds / 60 + 1


def test_a_holder_is_learned_from_the_holders_own_load_not_the_open_pages() -> None:
    """The tools and search fill most of the site; a holder's cost is what holders keep in
    flight per person (2 / 100), not everything in flight per holder (18 / 100)."""
    policy = _policy()
    for _ in range(30):
        policy.decide(_inputs(busy=18.0, holders_busy=2.0, active=100, line_refused=True))
    assert abs(policy.per_holder - 0.02) < 0.002


def test_open_pages_that_fill_the_site_leave_the_line_its_share() -> None:
    """Open pages (no place in line) ask for more than the whole limit, tick after tick, and
    admission control turns their excess away. The line still gets its share of the limit:
    the people let in keep about ``line_share`` of the aim busy, not the one person a second
    of a line that gets only what is left (``line_share`` 0), nor the whole site either."""
    limit, visit, per_person = 20, 30, 0.02
    policy = _policy()
    aim_line = policy.line_share * policy.target_utilisation * limit
    inside: deque[int] = deque()
    line_load = []
    for _ in range(240):
        holders = sum(inside) * per_person
        busy = limit  # the open pages take whatever the holders leave
        admit = policy.decide(
            _inputs(limit=limit, busy=busy, holders_busy=min(holders, busy), active=sum(inside),
                    line_refused=holders > aim_line)  # only the open pages' excess, till then
        )  # fmt: skip
        inside.append(admit)
        if len(inside) > visit:
            inside.popleft()
        line_load.append(holders)
    settled = sum(line_load[-60:]) / 60
    assert 0.8 * aim_line < settled < 1.2 * aim_line
    # with no share (the line gets only what is left), nobody: the open pages fill the site
    starved = _policy(line_share=0.0)
    admitted = sum(starved.decide(_inputs(busy=20.0, holders_busy=0.5)) for _ in range(240))
    assert admitted == 0


def test_with_no_share_and_nobody_inside_the_rate_does_not_grow_into_a_full_site() -> None:
    """``line_share`` 0, nobody let in yet, the open pages past the aim: no room for the line,
    so its rate stays where it is (it grew by half a tick when nobody was inside)."""
    policy = _policy(line_share=0.0)
    for _ in range(8):
        policy.decide(_inputs(busy=18.0, holders_busy=0.0))
    assert policy.rate == InletPolicy.MIN_RATE

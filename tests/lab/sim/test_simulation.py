"""Whole simulated nights: determinism, order and capacity, an instance failure, the report."""

from __future__ import annotations

import statistics

from northbound.lab.report import read
from northbound.lab.sim.cli import run_all
from northbound.lab.sim.events import Simulation
from northbound.lab.sim.policies import policy
from northbound.lab.sim.run import EPOCH, Outcome, simulate
from northbound.lab.sim.site import Site
from northbound.surge.admission import AdmissionSettings
from northbound.surge.shed_page import retry_after_range

from .conftest import failure_run, overload, overload_run


def fingerprint(outcome: Outcome) -> tuple[object, ...]:
    t = outcome.tally
    return (
        outcome.events,
        t.people,
        t.completed,
        t.gave_up_getting_in,
        t.useful,
        sorted(t.statuses.items()),
        t.time_to_get_in.get_value_at_percentile(90),
        t.fairness.overtaken,
        tuple(t.inlet.values),
    )


def test_a_seed_gives_the_same_night_twice() -> None:
    setup = overload(visitors=600)
    assert fingerprint(simulate(setup, "northbound")) == fingerprint(simulate(setup, "northbound"))


def test_every_policy_sees_the_same_people() -> None:
    assert overload_run("northbound").people == overload_run("shed-only").people > 2000


def test_the_room_admits_in_arrival_order() -> None:
    room = overload_run("northbound").tally
    luck = overload_run("shed-only").tally
    assert room.saw_room > room.fairness.people // 2  # the room was on for most of them
    assert room.fairness.overtaken <= 0.01 * room.fairness.people
    assert luck.fairness.overtaken > 10 * max(1, room.fairness.overtaken)


def test_the_room_lets_in_no_more_than_the_servers_can_take() -> None:
    room = overload_run("northbound")
    flood = overload_run("none")
    capacity_per_second = overload().capacity_people_per_minute() / 60
    let_in = statistics.fmean(room.tally.inlet.values[240:720])
    assert 0.5 * capacity_per_second < let_in < 1.25 * capacity_per_second
    # the servers were kept busy, not starved, and people were served, not queued to death
    # (0.75: the inlet closes on the spare over several ticks, inlet_gain, trading a few
    # percent of utilisation for far less overshoot; filling it at once gave > 0.8 here)
    assert statistics.fmean(room.utilisation[240:720]) > 0.75 * 1000
    assert room.tally.completed > 10 * flood.tally.completed
    assert (
        room.tally.latency.get_value_at_percentile(99)
        < flood.tally.latency.get_value_at_percentile(99) / 2
    )


def test_an_instance_failure_lowers_admission_within_the_reaction_time_and_recovers() -> None:
    outcome = failure_run()
    inlet = outcome.tally.inlet.values
    before = statistics.fmean(inlet[300:400])
    # documented reaction: the dead instance's inlet stops at once (it ticks no more); the
    # balancer stops sending to it after detect_seconds (5 s), so one tick after that the
    # survivor's inlet sees only its own capacity
    during = statistics.fmean(inlet[407:600])
    # back at 600 s (a fresh process) and routable 5 s later. It comes back to 80-90 %, not
    # all of it: the fresh instance's Gradient2 learns its latency norm under full load
    # and settles at a limit several times the other's (seen: 29 rising to 60-70)
    after = statistics.fmean(inlet[605:1005])
    assert before > 0
    assert during < 0.75 * before
    assert after > 0.75 * before


def test_the_report_is_written_from_a_simulated_run(tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path))
    run_all(overload(visitors=300), ["northbound", "none"], out, show=False)
    report = read(out)
    assert set(report["runs"]) == {"northbound", "none"}
    run = report["runs"]["northbound"]
    assert run["journeys"]["started"] == run["simulation"]["people"] > 250
    assert len(run["waiting_room"]["line_series"]) >= 600
    page = (out / "report.html").read_text()
    assert "Simulated on a virtual clock" in page and "data:image/png;base64" in page


def test_refused_people_wait_what_the_sites_503s_name_in_turn() -> None:
    """The simulator's people wait the Retry-After the real site would have named: the same
    settings, the same range, in turn (it modelled one 5 s wait for everyone, the pattern
    that made a refused crowd come back as one)."""
    settings = AdmissionSettings()
    site = Site(Simulation(EPOCH), policy("northbound"), overload().shape, seed=1)
    waits = [next(site.retry_afters) for _ in range(10)]
    named = retry_after_range(settings.retry_after_seconds, settings.retry_after_spread_seconds)
    assert sorted(waits) == sorted([*named, *named])
    assert len(set(waits)) > 1

"""report.json and report.html from a recorded run, and the waiting-room figures computed
from what people saw."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from northbound.cli import cli
from northbound.lab import profiles, report_page, waiting
from northbound.lab.audit import SubmissionCheck
from northbound.lab.browser import Page, RoomVisit, pre_rendered
from northbound.lab.crowd import CrowdResult, GeneratorHealth, PersonRecord
from northbound.lab.journeys import Crew
from northbound.lab.recorder import Recorder
from northbound.lab.report import SCHEMA, document, read, run_summary, server_cpu, write
from northbound.lab.server import CpuMeter


def visit(
    first: float,
    position: int,
    estimate: float | None,
    admitted: float | None,
    last: float | None = None,
) -> RoomVisit:
    return RoomVisit(
        first,
        position,
        estimate,
        last if last is not None else (admitted - 1 if admitted else first),
        admitted_at=admitted,
    )


def test_eta_error_is_relative_to_the_actual_wait() -> None:
    visits = [visit(0, 1, 10, 20), visit(0, 2, 40, 20), visit(0, 3, None, 5), visit(0, 4, 9, None)]
    assert sorted(waiting.eta_errors(visits)) == [0.5, 1.0]


def test_a_wait_first_shown_a_poll_after_joining_counts_from_when_it_was_shown() -> None:
    """A line's first seconds show no wait: the person's first estimate is measured from the
    poll that showed it, not from when they joined."""
    late = visit(0, 1, None, 35)
    late.estimate_seconds, late.estimate_shown_at = 30, 5
    assert waiting.eta_errors([late]) == [0.0]
    room = waiting.summary([late], 40, {})
    assert room["estimated_vs_actual"] == [[30, 30]]
    assert room["wait_seconds_median"] == 35  # the whole wait, from joining


def test_range_coverage_is_the_share_of_waits_within_the_range_shown() -> None:
    """Shown 20 s (between 15 and 30): waits of 14-31 s are within it (a second's slack for
    whole seconds and the poll), 12 s is not; a wait that ended after the crowd stopped (95 s)
    counts only in the first figure; no range recorded, not counted."""
    visits: list[RoomVisit] = []
    for waited in (12, 14, 20, 31, 40):
        v = visit(0, len(visits) + 1, 20, waited)
        v.estimate_low_seconds, v.estimate_high_seconds = 15, 30
        visits.append(v)
    visits[4].admitted_at = 95  # waited 95 s, let in after the crowd stopped (at 60 s)
    visits.append(visit(0, 9, 20, 22))  # an estimate with no range kept: not counted
    assert waiting.range_hits(visits) == [False, True, True, True, False]
    assert waiting.range_hits(visits, ended_by=60) == [False, True, True, True]
    room = waiting.summary(visits, 100, {}, arrivals_end=60)
    assert room["eta_range_coverage"] == pytest.approx(3 / 5)
    assert room["eta_in_crowd_range_coverage"] == pytest.approx(3 / 4)
    assert waiting.summary([], 10, {})["eta_range_coverage"] is None


def test_the_eta_error_in_the_crowd_counts_the_waits_that_ended_before_arrivals_stop() -> None:
    """A run's crowd stops at once at its end and the line then drains faster than any
    estimate could foresee: the second figure keeps to the waits that ended before, however
    long the estimate was (it is chosen by what happened, not by what was shown)."""
    early = visit(0, 1, 10, 20)  # 10 shown, 20 waited, in by 20
    too_long = visit(0, 2, 40, 20)  # 40 shown, 20 waited, in by 20: counts
    past_the_end = visit(0, 3, None, 50)
    past_the_end.estimate_seconds, past_the_end.estimate_shown_at = 10, 25  # in at 50
    visits = [early, too_long, past_the_end]
    assert sorted(waiting.eta_errors(visits)) == [0.5, 0.6, 1.0]
    assert sorted(waiting.eta_errors(visits, ended_by=30)) == [0.5, 1.0]
    assert waiting.eta_errors(visits, ended_by=20) == [0.5, 1.0]  # in at the end: counts
    room = waiting.summary(visits, 60, {}, arrivals_end=30)
    assert room["eta_relative_error_median"] == pytest.approx(0.6)  # every estimate
    assert room["eta_in_crowd_relative_error_median"] == pytest.approx(0.75)
    assert room["eta_in_crowd_samples"] == 2 and room["eta_samples"] == 3
    assert waiting.summary(visits, 60, {})["eta_in_crowd_samples"] == 3  # no end: all in


def test_out_of_order_needs_an_earlier_place_still_waiting_after() -> None:
    in_order = [visit(0, 1, None, 10), visit(0, 2, None, 12), visit(0, 3, None, 11, last=10.5)]
    assert waiting.out_of_order(in_order) == 0  # 3 let in at 11: 1 and 2 waited until 9, 11
    jumped = [visit(0, 1, None, 30, last=29), visit(0, 5, None, 12)]
    assert waiting.out_of_order(jumped) == 1  # 5 let in at 12 while 1 still waited at 29
    gave_up = [visit(0, 1, None, None, last=50), visit(0, 2, None, 20)]
    assert waiting.out_of_order(gave_up) == 1


def test_line_and_stalled_windows() -> None:
    visits = [visit(1, 1, None, 12), visit(2, 2, None, 13)]
    line = waiting.line_series(visits, 20)
    assert line[0] == 0 and line[5] == 2 and line[12] == 1 and line[15] == 0
    served = {11: 3}  # one useful answer, in the window 10-14
    assert waiting.stalled_windows(line, served) == 2  # 0-4 and 5-9: people waited, none served
    # the run's last second, someone still in line when the crowd stops: not a window
    assert waiting.stalled_windows([*line, 1], served) == 2


def recorded_run() -> CrowdResult:
    recorder = Recorder()
    rng = random.Random(1)
    for second in range(30):
        for i in range(20):
            intended = second + i / 25  # answered within the same second
            recorder.intend(intended)
            recorder.sent(intended, intended + 0.001)
            took = 0.05 if second < 20 else 3.0  # overloaded at the end
            recorder.answered(intended, intended + took, 200, "useful")
        recorder.answered(second, second + 0.01, 503, "refused")
    recorder.failed("timeout")
    people = [
        PersonRecord(0, "reader", 0.5, "completed", 8.0),
        PersonRecord(1, "applicant", 1.0, "abandoned", 40.0, [visit(2, 7, 60.0, None, last=40)]),
        PersonRecord(2, "applicant", 2.0, "completed", 30.0, [visit(3, 8, 30.0, 23.0)]),
    ]
    people[1].rooms[0].gave_up = True
    health = GeneratorHealth([1.0, 2.0], cpu_seconds=3.0, wall_seconds=30.0)
    return CrowdResult(recorder, people, Crew(rng=rng), health, 30.0, 1.0)


def test_quick_refusals_do_not_make_what_was_served_look_fast() -> None:
    """A site that refuses most of the crowd at once has a low p99 of every answer; the p99 of
    what it served is the figure to compare (issue 11: "p99 of admitted requests")."""
    recorder = Recorder()
    for index in range(995):
        recorder.answered(index / 1000, index / 1000 + 0.002, 503, "refused")
    for index in range(4):
        recorder.answered(index, index + 0.8, 200, "useful")
    recorder.answered(6, 6.003, 200, "waiting")  # a waiting page is not served either
    result = CrowdResult(
        recorder, [], Crew(rng=random.Random(1)), GeneratorHealth([1.0], 0.1, 10.0), 10.0, 1.0
    )
    latency = run_summary("http://127.0.0.1:1", result, None, None)["latency_ms"]
    assert latency["p99"] == pytest.approx(2, abs=1)
    assert latency["served"] == pytest.approx(
        {"p50": 800, "p90": 800, "p99": 800, "p999": 800}, rel=0.01
    )


def test_dynamic_goodput_leaves_out_pre_rendered_pages() -> None:
    """Goodput counts every useful answer; its dynamic part only what the site worked out for
    the request, so a site that serves many cheap information pages at the peak and few forms
    does not pass for one that served as many forms."""
    recorder = Recorder()
    recorder.answered(1.0, 1.1, 200, "useful", pre_rendered=True)  # an information page
    recorder.answered(1.0, 1.2, 303, "useful")  # a form, redirected to its result
    recorder.answered(1.0, 1.3, 200, "waiting")
    recorder.answered(1.0, 4.0, 200, "useful")  # a form, too late to count
    assert recorder.good == {1: 2} and recorder.good_dynamic == {1: 1}
    result = CrowdResult(
        recorder, [], Crew(rng=random.Random(1)), GeneratorHealth([1.0], 0.1, 4.0), 4.0, 1.0
    )
    run = run_summary("http://127.0.0.1:1", result, None, None, peak=(1, 1))
    assert run["goodput_rps"]["at_peak"] == 2 and run["dynamic_goodput_rps"]["at_peak"] == 1


def test_the_site_marks_pre_rendered_answers_alone() -> None:
    """The lab tells a pre-rendered answer by its ETag: the site sends one with every cached
    page and asset, and none with a page it works out per request."""
    page = Page(200, b"", {"ETag": '"abc"'}, "/en/")
    assert pre_rendered(page)
    assert not pre_rendered(Page(200, b"", {"Content-Type": "text/html"}, "/en/crs"))


def test_report_from_a_recorded_run(tmp_path: Path) -> None:
    schedule = profiles.bind(profiles.load("election-night"), duration=30)
    checked = SubmissionCheck(acknowledged=1, found=1, lost=0, duplicated=0)
    run = run_summary("http://127.0.0.1:1", recorded_run(), 55.5, checked)
    report = document(schedule, {"protected": run, "unprotected": run})
    write(tmp_path, report)
    stored = read(tmp_path)
    assert stored["schema"] == SCHEMA and set(stored["runs"]) == {"protected", "unprotected"}
    figures = stored["runs"]["protected"]
    assert figures["status_counts"] == {"200": 600, "503": 30}
    assert figures["transport_errors"] == {"timeout": 1}
    assert figures["offered_rps"]["peak"] == 20 and figures["offered_rps"]["mean"] > 0
    assert figures["goodput_rps"]["series"][5] == 20  # answered in 50 ms
    assert sum(figures["goodput_rps"]["series"][21:]) == 0  # answered in 3 s: not goodput
    assert figures["latency_ms"]["p50"] == pytest.approx(50, abs=1)
    assert figures["latency_ms"]["p99"] == pytest.approx(3000, rel=0.01)
    assert figures["latency_ms"]["served"]["p99"] == pytest.approx(3000, rel=0.01)
    assert figures["latency_ms"]["series"][0]["t"] == 0
    assert figures["journeys"]["started"] == 3 and figures["journeys"]["abandoned"] == 1
    assert figures["journeys"]["by_journey"]["applicant"]["completed"] == 1
    room = figures["waiting_room"]
    assert (room["admitted"], room["gave_up_in_line"], room["max_line"]) == (1, 1, 2)
    assert room["eta_relative_error_median"] == pytest.approx(0.5)  # 30 s shown, 20 s waited
    assert room["eta_in_crowd_samples"] == 1  # let in at 23 s, before the crowd stopped (30 s)
    assert figures["submissions"]["lost"] == 0 and figures["capacity_rps"] == 55.5
    assert figures["valid"] and figures["generator"]["cpu_share"] == pytest.approx(0.1)
    assert figures["server_cpu"] is None  # nobody watched the site's processes

    result = CliRunner().invoke(cli, ["lab", "report", str(tmp_path), "--png"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert page.count("<tr>") == 3 and "unprotected" in page  # the header and two rows
    assert "<td>0.50 / 0.50 (1)</td>" in page  # the ETA error: all, in the crowd (samples)
    assert page.count('src="data:image/png;base64,') == 5  # no CPU picture without figures
    assert (tmp_path / "offered-goodput.png").read_bytes().startswith(b"\x89PNG")
    json.dumps(stored)  # plain JSON all the way down


def test_goodput_at_the_peak_is_taken_over_the_profiles_peak_for_everyone() -> None:
    schedule = profiles.bind(profiles.load("election-night"), duration=120)
    first, last = schedule.peak_stretch()
    peak = schedule.peak_rate()
    assert 0 < first < last < 120
    assert schedule.rate_at(first) >= 0.8 * peak and schedule.rate_at(last) >= 0.8 * peak
    assert schedule.rate_at(first - 1) < 0.8 * peak and schedule.rate_at(last + 1) < 0.8 * peak
    run = run_summary("http://127.0.0.1:1", recorded_run(), 55.5, None, (5, 9))
    goodput = run["goodput_rps"]
    assert goodput["at_peak"] == pytest.approx(sum(goodput["series"][5:10]) / 5)


def test_seconds_a_site_sat_under_its_core_while_people_waited_are_counted() -> None:
    """The report tells a full site from one the room kept people away from (issue 10: "an
    idle, safe server with a long line is a failure")."""
    shares = {0: 0.2, 1: 0.95, 2: 0.5, 3: 0.99, 4: 0.3, 5: 1.0}
    line = [0, 10, 40, 40, 5, 0]
    cpu = server_cpu(shares, line, (1, 3))
    assert cpu is not None
    assert cpu["series"] == [0.2, 0.95, 0.5, 0.99, 0.3, 1.0]
    assert cpu["underused_while_waiting"] == 2  # seconds 2 and 4; 0 and 5 had nobody waiting
    assert cpu["at_peak"] == pytest.approx((0.95 + 0.5 + 0.99) / 3, abs=0.005)  # 2 digits
    assert server_cpu(None, line) is None

    result = recorded_run()
    result.server_cpu = {second: 0.9 for second in range(30)}
    report = document(
        profiles.bind(profiles.load("election-night"), duration=30),
        {"protected": run_summary("http://127.0.0.1:1", result, 55.5, None)},
    )
    assert report["runs"]["protected"]["server_cpu"]["mean"] == pytest.approx(0.9)
    names = [name for name, _, _ in report_page.figures(report["runs"])]
    assert "server-cpu" in names


def test_the_cpu_meter_reads_a_busy_process_and_misses_no_second() -> None:
    """Whole seconds from the first, each with the share of a core used over it; a late read
    gives the seconds it spans the same share."""
    meter = CpuMeter([os.getpid()])
    meter.sample(0.2)
    start = time.process_time()
    while time.process_time() - start < 0.3:  # 0.3 s of CPU "within" the next second
        pass
    meter.sample(1.25)  # the run's times are the caller's: 1.05 s after the first read
    meter.sample(3.4)  # a late read: spans seconds 1 and 2
    assert sorted(meter.shares) == [0, 1, 2]
    assert 0.25 <= meter.shares[0] <= 0.45  # 0.3 s of CPU over 1.05 s (ticks of 10 ms)
    assert meter.shares[1] == meter.shares[2]
    idle = CpuMeter([])  # nothing to watch: no figures, not zeros
    idle.sample(0.5)
    idle.sample(2.0)
    assert idle.shares == {}

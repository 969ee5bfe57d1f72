"""A simulated run in the lab's ``report.json`` shape (:mod:`northbound.lab.report`), plus a
``simulation`` block with the figures only a simulator can give.

The lab's fields mean what they mean there, computed from the simulated people: statuses of
every answer (a waiting page is a 200), transport errors (timeouts, reloads, resets, refused
connections, "unavailable" while the store paused), useful answers within 2 s as goodput.
``simulation`` adds, per policy: goodput totals, time to get in (p50/p90/p99), fairness
(out-of-order share, Jain's index per arrival minute), ETA error, abandonment, the peak
line, server utilisation, the inlet's response to capacity steps and the run's own cost.
Series are one point per second of the run.
"""

from __future__ import annotations

import statistics
from typing import Any

from ..recorder import percentiles_of
from ..report import series
from .faults import Fault
from .measures import Tally, percentile_seconds
from .run import Outcome
from .stability import step_response


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _steps(outcome: Outcome, faults: tuple[Fault, ...]) -> list[dict[str, Any]]:
    """Response of the admission rate to every capacity step (down at the start, up at
    the end of each capacity or instance fault)."""
    rate = outcome.tally.inlet.values if outcome.policy.has_room else outcome.tally.got_in.values
    steps = []
    for fault in faults:
        if fault.kind == "store":
            continue
        for at, seconds, label in (
            (fault.start, fault.seconds, "down"),
            (fault.end, min(fault.seconds, 600.0), "up"),
        ):
            response = step_response(rate, at, seconds)
            if response is not None:
                steps.append({"fault": fault.describe(), "step": label, **response.as_dict()})
    return steps


def _waiting_room(tally: Tally, length: int) -> dict[str, Any]:
    pairs = sorted(tally.estimates.items)
    line = tally.line.values[:length]
    return {
        "people_in_room": tally.saw_room,
        "max_line": max(line, default=0),
        "admitted": tally.fairness.got_in,
        "gave_up_in_line": tally.gave_up_getting_in,
        "eta_relative_error_median": percentile_seconds(tally.eta_error, 50),
        "eta_relative_error_p90": percentile_seconds(tally.eta_error, 90),
        "eta_samples": tally.eta_error.get_total_count(),
        "out_of_order": tally.fairness.overtaken,
        # not measured: the simulated site, like the real one, admits the request that ends
        # a wait over the limit (Limiter.admit_committed), so nothing can shed it
        "shed_on_admission": None,
        "stalled_windows": _stalled(line, tally.good.values),
        "wait_seconds_median": percentile_seconds(tally.time_to_get_in, 50),
        "line_series": line,
        "admission_series": tally.got_in.values[:length],
        "estimated_vs_actual": [list(p) for p in pairs],
    }


def _stalled(line: list[int], good: list[int], window: int = 5) -> int:
    stalled = 0
    for start in range(0, len(line), window):
        if any(line[start : start + window]) and not any(good[start : start + window]):
            stalled += 1
    return stalled


def run_summary(outcome: Outcome, faults: tuple[Fault, ...], capacity_rps: float) -> dict[str, Any]:
    tally = outcome.tally
    length = max(1, int(outcome.simulated) + 1)
    duration = max(1, int(outcome.duration))
    useful_share = tally.useful / tally.people if tally.people else 0.0
    utilisation = outcome.utilisation
    arrivals_util = utilisation[:duration]
    minutes = [{"minute": m, "jain": round(j, 4)} for m, j in tally.fairness.jain_by_minute()]
    by_journey = {
        name: {"started": s, "completed": c} for name, (s, c) in sorted(tally.by_journey.items())
    }
    simulation = {
        "policy": outcome.policy.name,
        "edge_rate_per_minute": outcome.edge_rate_per_minute,
        "people": tally.people,
        "bots": tally.bots,
        "goodput": {
            "useful_pages": tally.useful,
            "good_pages": sum(tally.good.values),
            "late_pages": tally.late,
            "useful_pages_per_person": round(useful_share, 3),
            "mean_rps_during_arrivals": round(sum(tally.good.values[:duration]) / duration, 2),
            "journeys_completed": tally.completed,
            "wasted_answers": tally.wasted,
            "bot_answers": tally.bot_answers,
        },
        "time_to_get_in_seconds": {
            f"p{p}": percentile_seconds(tally.time_to_get_in, p) for p in (50, 90, 99)
        },
        "time_to_get_in_cdf": _cdf(tally),
        "fairness": {
            "out_of_order_share": tally.fairness.out_of_order_share,
            "out_of_order_grace_seconds": tally.fairness.grace,
            "jain_mean": tally.fairness.jain(),
            "jain_by_minute": minutes,
        },
        "eta_error": {
            "median": percentile_seconds(tally.eta_error, 50),
            "p90": percentile_seconds(tally.eta_error, 90),
            "samples": tally.eta_error.get_total_count(),
        },
        "abandonment": {
            "gave_up_getting_in": tally.gave_up_getting_in,
            "tried_to_get_in": tally.fairness.people,
            "gave_up_share": round(tally.gave_up_getting_in / tally.fairness.people, 4)
            if tally.fairness.people
            else None,
            "abandoned_journey": tally.abandoned_journey,
            "got_in": tally.fairness.got_in,
        },
        "peak_line": max(tally.line.values, default=0),
        "utilisation": {
            "mean_during_arrivals": _round(
                statistics.fmean(arrivals_util) / 1000 if arrivals_util else None
            ),
            "peak_minute": _round(_peak_minute(utilisation) / 1000),
        },
        "limit_series": tally.limit.values[:length],
        "utilisation_series": utilisation[:length],
        "inlet_series": tally.inlet.values[:length],
        "capacity_steps": _steps(outcome, faults),
        "cost": {
            "events": outcome.events,
            "cpu_seconds": round(outcome.cpu_seconds, 2),
            "wall_seconds": round(outcome.wall_seconds, 2),
            "simulated_seconds": round(outcome.simulated, 1),
            "simulated_per_wall_second": round(outcome.simulated / outcome.wall_seconds, 1)
            if outcome.wall_seconds > 0
            else None,
            "visitors_per_cpu_second": round(tally.people / outcome.cpu_seconds)
            if outcome.cpu_seconds > 0
            else None,
            "peak_rss_mb": round(outcome.peak_rss_mb, 1),
            "room_store_errors": outcome.room_errors,
        },
    }
    latency_series = [
        {"t": w * tally.window_seconds, **percentiles_of(h)}
        for w, h in sorted(tally.latency_windows.items())
    ]
    return {
        "target": f"simulated ({outcome.policy.name})",
        "capacity_rps": round(capacity_rps, 1),
        "status_counts": dict(sorted(tally.statuses.items())),
        "transport_errors": dict(sorted(tally.errors.items())),
        "offered_rps": series(dict(enumerate(tally.offered.values)), length),
        "goodput_rps": series(dict(enumerate(tally.good.values)), length),
        "latency_ms": {**percentiles_of(tally.latency), "series": latency_series},
        "journeys": {
            "started": tally.people,
            "completed": tally.completed,
            "abandoned": tally.gave_up_getting_in + tally.abandoned_journey,
            "failed": 0,
            "cut": tally.people
            - tally.completed
            - tally.gave_up_getting_in
            - tally.abandoned_journey,
            "median_seconds_to_complete": percentile_seconds(tally.completion_seconds, 50),
            "by_journey": by_journey,
            "failure_reasons": {},
        },
        "submissions": None,
        "waiting_room": _waiting_room(tally, length),
        "generator": {"cpu_share": None, "loop_lag_p99_ms": None, "send_lateness_p99_ms": None},
        "valid": True,
        "invalid_reason": None,
        "simulation": simulation,
    }


def _peak_minute(per_second: list[int]) -> float:
    best = 0.0
    for start in range(0, max(1, len(per_second) - 59), 60):
        chunk = per_second[start : start + 60]
        if chunk:
            best = max(best, statistics.fmean(chunk))
    return best


def _cdf(tally: Tally) -> list[list[float]]:
    """Time to get in: ``[seconds, share of those who got in]`` at 50 percentiles."""
    histogram = tally.time_to_get_in
    if histogram.get_total_count() == 0:
        return []
    return [
        [round(histogram.get_value_at_percentile(p) / 1000, 2), p / 100]
        for p in (*range(2, 100, 2), 99, 99.9)
    ]

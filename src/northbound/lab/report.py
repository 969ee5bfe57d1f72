"""``report.json``: what each contender's run measured, in one documented shape.

Schema (one object per contender under ``runs``; times in seconds from the start of the
surge, series one point per second unless said otherwise)::

    {
      "schema": "northbound-lab-report/1",
      "profile": {"name", "description", "baseline_rps", "speed", "duration", "peak_rps",
                  "peak_seconds": [first, last]},
      "created": ISO-8601 UTC,
      "runs": {
        "<contender>": {
          "target": URL,
          "capacity_rps": useful answers/s of a closed loop on the journey mix, before the surge,
          "status_counts": {"200": n, "303": n, "429": n, "503": n, ...},
          "transport_errors": {"timeout": n, "reload": n, "reset": n, "refused": n, ...},
          "offered_rps": {"series": [...], "peak": x, "mean": x,    # by intended send time
                          "at_peak": x},  # mean over the profile's peak (Schedule.peak_stretch)
          "goodput_rps": {"series": [...], "peak": x, "mean": x,    # useful answers <= 2 s
                          "at_peak": x},
          "dynamic_goodput_rps": {...},  # the same shape: those not pre-rendered (recorder.py)
          "latency_ms": {"p50", "p90", "p99", "p999",               # from intended send time
                         "served": {"p50", "p90", "p99", "p999"},   # useful answers only
                         "series": [{"t", "p50", "p90", "p99", "p999"}, ...]},  # 5 s windows
          "journeys": {"started", "completed", "abandoned", "failed", "cut",
                       "median_seconds_to_complete", "by_journey": {name: {...}},
                       "failure_reasons": {reason: n}},  # cut: still going at the end
          "submissions": {"acknowledged", "found", "lost", "duplicated", "lost_receipts"}
                         or null when the site's data could not be read,
          "waiting_room": {"people_in_room", "max_line", "admitted", "gave_up_in_line",
                           "eta_relative_error_median", "eta_relative_error_p90",
                           "eta_samples", "eta_in_crowd_relative_error_median",
                           "eta_in_crowd_relative_error_p90", "eta_in_crowd_samples",
                           "eta_range_coverage", "eta_in_crowd_range_coverage",
                           "out_of_order", "shed_on_admission",
                           "stalled_windows", "wait_seconds_median", "line_series",
                           "admission_series", "estimated_vs_actual": [[est, actual], ...]},
          "server_cpu": {"series": [...], "peak": x, "mean": x,     # share of one core
                         "at_peak": x,
                         "underused_while_waiting": n}   # seconds with people in line and
                        or null when the lab did not start the site,  # the site under 80 %
          "generator": {"cpu_share", "loop_lag_p99_ms", "send_lateness_p99_ms"},
          "limits": {"concurrency", "rate_rps"},      # uvicorn-limit and nginx-limit only
          "valid": bool, "invalid_reason": str or null
        }
      }
    }

"useful" = a 2xx or 3xx answer that is neither the waiting page nor a refusal.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import statistics
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import waiting
from .audit import SubmissionCheck
from .browser import RoomVisit
from .crowd import CrowdResult
from .journeys import Crew
from .profiles import Schedule
from .recorder import percentiles_of

SCHEMA = "northbound-lab-report/1"


def series(
    counts: Mapping[int, float], length: int, peak: tuple[int, int] | None = None
) -> dict[str, Any]:
    """One point a second, its highest second, its mean, and its mean over the profile's
    peak (``at_peak``: the same seconds for every contender, so the figure compares what each
    served while the crowd was at its largest; the run's mean also counts the drain, where a
    site that made people wait serves what a site that did not had already served)."""
    values = [counts.get(second, 0) for second in range(length)]
    figures: dict[str, Any] = {
        "series": values,
        "peak": max(values, default=0),
        "mean": round(statistics.fmean(values), 2) if values else 0.0,
    }
    if peak is not None:
        stretch = values[peak[0] : peak[1] + 1]
        figures["at_peak"] = round(statistics.fmean(stretch), 2) if stretch else 0.0
    return figures


# Below this share of its core, a site with people in line had room for more of them.
UNDERUSED_SHARE = 0.8


def server_cpu(
    shares: Mapping[int, float] | None,
    line: list[int],
    peak: tuple[int, int] | None = None,
) -> dict[str, Any] | None:
    """How busy the site was each second (:func:`series` of the shares), and the seconds it
    sat under :data:`UNDERUSED_SHARE` of its core while people waited in line: a room that
    holds people back from a site that could serve them costs goodput however safe it looks."""
    if shares is None:
        return None
    figures = series(shares, len(shares), peak)  # whole seconds from 0 on, none missed
    figures["underused_while_waiting"] = sum(
        1
        for second, share in enumerate(figures["series"])
        if second < len(line) and line[second] > 0 and share < UNDERUSED_SHARE
    )
    return figures


def _journeys(result: CrowdResult) -> dict[str, Any]:
    def figures(people: list[Any]) -> dict[str, Any]:
        endings = Counter(p.ending for p in people)
        times = [
            p.finished - p.arrived
            for p in people
            if p.ending == "completed" and p.finished is not None
        ]
        return {
            "started": len(people),
            "completed": endings["completed"],
            "abandoned": endings["abandoned"],
            "failed": endings["failed"],
            "cut": endings["cut"],
            "median_seconds_to_complete": round(statistics.median(times), 2) if times else None,
        }

    by_name: dict[str, list[Any]] = {}
    for person in result.people:
        by_name.setdefault(person.journey, []).append(person)
    failures = Counter(p.detail for p in result.people if p.ending == "failed")
    return {
        **figures(result.people),
        "by_journey": {name: figures(people) for name, people in sorted(by_name.items())},
        "failure_reasons": dict(failures.most_common(8)),
    }


def run_summary(
    target: str,
    result: CrowdResult,
    capacity_rps: float | None,
    submissions: SubmissionCheck | None,
    peak: tuple[int, int] | None = None,
) -> dict[str, Any]:
    recorder = result.recorder
    length = max(
        1, math.ceil(max([result.duration, *recorder.offered.keys(), *recorder.good.keys()]) + 1)
    )
    visits = [visit for person in result.people for visit in person.rooms]
    latency_series = [
        {"t": window * recorder.window, **percentiles_of(histogram)}
        for window, histogram in sorted(recorder.windows.items())
    ]
    reason = result.invalid_reason()
    room = waiting.summary(visits, length, recorder.served, arrivals_end=result.duration)
    return {
        "target": target,
        "capacity_rps": round(capacity_rps, 1) if capacity_rps is not None else None,
        "status_counts": dict(sorted(recorder.statuses.items())),
        "transport_errors": dict(sorted(recorder.transport_errors.items())),
        "offered_rps": series(recorder.offered, length, peak),
        "goodput_rps": series(recorder.good, length, peak),
        "dynamic_goodput_rps": series(recorder.good_dynamic, length, peak),
        "latency_ms": {
            **percentiles_of(recorder.latency),
            "served": percentiles_of(recorder.served_latency),
            "series": latency_series,
        },
        "journeys": _journeys(result),
        "submissions": submissions.as_dict() if submissions is not None else None,
        "waiting_room": room,
        "server_cpu": server_cpu(result.server_cpu, room["line_series"], peak),
        "generator": {
            "cpu_share": round(result.health.cpu_share, 3),
            "loop_lag_p99_ms": round(result.health.lag_p99_ms(), 1),
            "send_lateness_p99_ms": result.send_lateness_p99_ms,
        },
        "valid": reason is None,
        "invalid_reason": reason,
    }


def document(schedule: Schedule, runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    profile = schedule.profile
    return {
        "schema": SCHEMA,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": {
            "name": profile.name,
            "description": profile.description,
            "baseline_rps": schedule.baseline_rps,
            "speed": round(schedule.speed, 3),
            "duration": schedule.duration,
            "peak_rps": round(schedule.peak_rate(), 2),
            "peak_seconds": list(schedule.peak_stretch()),
        },
        "runs": runs,
    }


def write(directory: Path, report: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "report.json"
    path.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return path


def write_ledger(directory: Path, name: str, crew: Crew) -> Path:
    """``ledger-NAME.json``: the receipts people were shown, for ``northbound lab audit``."""
    rows = [
        {"email": a.email, "receipt": a.receipt, "at": round(a.at, 3)} for a in crew.acknowledged
    ]
    path = directory / f"ledger-{name}.json"
    path.write_text(json.dumps({"run_id": crew.run_id, "acknowledged": rows}, indent=1))
    return path


def write_visits(path: Path, result: CrowdResult) -> Path:
    """Every stay in the waiting room as the crowd saw it, one CSV row each (run seconds):
    the data behind the room's figures, for whoever asks why the ETA was off."""
    fields = [f.name for f in dataclasses.fields(RoomVisit)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(fields)
        for person in result.people:
            for visit in person.rooms:
                out.writerow(getattr(visit, name) for name in fields)
    return path


def read(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{directory / 'report.json'} is not a {SCHEMA} report")
    return data

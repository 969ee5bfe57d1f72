"""``lab compare``: the same surge against each contender, one report.

Each contender is started twice with fresh data (folders under ``DIR/work``): once to measure
its closed-loop capacity, once for the surge (seeded, then flooded with the same profile,
arrival seed and journey mix), so the measurement leaves nothing behind in the surge's site. The
site runs on CPU 0, the generator (this process) on CPU 1. The contenders that imitate an
operations team's limits are tuned to the *unprotected* site's capacity, so the unprotected
run goes first (or a short measurement stands in when it is not among the contenders).
"""

from __future__ import annotations

import random
import shutil
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import contenders as sites
from .crowd import Crowd, CrowdOptions
from .journeys import Crew
from .profiles import Schedule
from .report import document, write, write_ledger, write_visits
from .run import RunPlan, run_blocking, seed, surge
from .server import GENERATOR_CPU, pin_self

Progress = Callable[[str, float, int, int], None]  # (contender, elapsed, active, done)


def order(names: Sequence[str]) -> list[str]:
    """Unprotected first: the others' limits are tuned to its capacity."""
    sites.check_available(list(names))
    return sorted(dict.fromkeys(names), key=lambda n: n != "unprotected")


async def _capacity_only(plan: RunPlan) -> float:
    """The closed-loop capacity of the site at ``plan.target`` (seeded first, like a run)."""
    crew = Crew(rng=random.Random(plan.seed))
    options = CrowdOptions(base_url=plan.target, seed=plan.seed, own_addresses=plan.own_addresses)
    await seed(Crowd(options, crew), plan.seed_accounts)
    return await Crowd(options, crew).closed_loop(
        plan.schedule.mix_at(0), plan.capacity_workers, plan.capacity_seconds
    )


def _measure(
    name: str, plan: RunPlan, work: Path, tuning: sites.Tuning | None, template: Path
) -> float:
    """Capacity of contender ``name`` on an instance of its own, thrown away afterwards."""
    with sites.start(name, work, tuning, template) as site:
        return run_blocking(
            _capacity_only(replace(plan, target=site.url, database_url=site.database_url))
        )


def keep_metrics(url: str, path: Path) -> None:
    """Keep the site's own Prometheus figures as they stood at the end of the surge (beside
    its log, under ``work``): why it refused whom (admission control's sheds by priority and
    reason, the room's admissions) is there and not in what the crowd saw. A site that does
    not serve them (an old build, a proxy in front) leaves a note instead of failing the run."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
            path.write_bytes(answer.read())
    except OSError as error:
        path.write_text(f"# not read: {error}\n")


def compare(
    plan: RunPlan,
    names: Sequence[str],
    out: Path,
    progress: Progress | None = None,
    announce: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every contender; write ``out/report.json`` and return it."""
    ordered = order(names)  # refuses unknown or unavailable contenders before anything starts
    pin_self(GENERATOR_CPU)
    out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict[str, Any]] = {}
    tuning: sites.Tuning | None = None
    work = out / "work"  # the lab's own: databases and server logs of this comparison
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / ".gitignore").write_text("*\n")  # a report folder in a repository keeps only the report
    template = sites.fresh_data(work / "template")
    for name in ordered:
        if name in sites.NEEDS_TUNING and tuning is None:
            measured = _measure("unprotected", plan, work / "tuning", None, template)
            tuning = sites.Tuning(measured)
            announce(
                f"unprotected capacity {measured:.1f}/s: limits set to "
                f"{tuning.concurrency} in flight, {measured:.0f} requests/s"
            )
        capacity = _measure(name, plan, work / name / "capacity", tuning, template)
        announce(f"{name}: capacity {capacity:.1f} useful answers/s (closed loop)")
        if name == "unprotected":
            tuning = sites.Tuning(capacity)
        with sites.start(name, work / name / "surge", tuning, template) as site:
            announce(f"{name}: serving on {site.url}")

            def tick(elapsed: float, active: int, done: int, _name: str = name) -> None:
                if progress is not None:
                    progress(_name, elapsed, active, done)

            outcome = run_blocking(
                surge(
                    replace(
                        plan,
                        target=site.url,
                        database_url=site.database_url,
                        server_pids=site.server_pids,
                    ),
                    tick,
                    capacity,
                )
            )
            keep_metrics(site.url, work / name / "surge" / "metrics.prom")
        write_visits(work / name / "surge" / "room-visits.csv", outcome.result)
        summary = outcome.summary
        if name in sites.NEEDS_TUNING and tuning is not None:
            summary["limits"] = {
                "concurrency": tuning.concurrency,
                "rate_rps": round(tuning.capacity_rps, 1),
            }
        runs[name] = summary
        write_ledger(out, name, outcome.result.crew)
        announce(headline(name, summary))
    report = document(plan.schedule, runs)
    write(out, report)
    return report


def headline(name: str, run: dict[str, Any]) -> str:
    submissions = run.get("submissions") or {}
    journeys = run["journeys"]
    return (
        f"{name}: goodput mean {run['goodput_rps']['mean']}/s, "
        f"{run['goodput_rps'].get('at_peak', '-')}/s at the peak (best second "
        f"{run['goodput_rps']['peak']})"
        f", offered peak {run['offered_rps']['peak']}/s, p99 {run['latency_ms']['p99']} ms "
        f"(served {run['latency_ms'].get('served', {}).get('p99', '-')} ms), "
        f"journeys {journeys['completed']}/{journeys['started']} completed, "
        f"lost {submissions.get('lost', '-')}, duplicated {submissions.get('duplicated', '-')}"
        f"{'' if run['valid'] else ' INVALID: ' + str(run['invalid_reason'])}"
    )


def plan_for(schedule: Schedule, **overrides: Any) -> RunPlan:
    """A plan whose bounds fit the run: capacity and drain scale down for short runs.

    The drain is long enough for someone who arrived at the last second to wait their turn
    and finish an application (a minute or more behind a waiting room): with 30 s, two in
    five applicants of a protected 120 s run were still filling in their forms when the run
    ended and counted as not finished, a figure of the run's length, not of the site.
    """
    duration = schedule.duration
    defaults: dict[str, Any] = {
        "capacity_seconds": min(10.0, max(2.0, duration / 10)),
        "drain": min(90.0, max(3.0, duration * 0.75)),
        "seed_accounts": min(8, max(4, round(duration / 4))),
    }
    defaults.update({k: v for k, v in overrides.items() if v is not None})
    return RunPlan(target="", schedule=schedule, **defaults)

"""``lab compare``: the same surge against each contender, one report.

Each contender is started fresh (its own data folder under ``DIR/work``), seeded, measured
(closed-loop capacity) and flooded with the same profile, arrival seed and journey mix. The
site runs on CPU 0, the generator (this process) on CPU 1. The contenders that imitate an
operations team's limits are tuned to the *unprotected* site's capacity, so the unprotected
run goes first (or a short measurement stands in when it is not among the contenders).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import contenders as sites
from .crowd import Crowd, CrowdOptions
from .journeys import Crew
from .profiles import Schedule
from .report import document, write, write_ledger
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
    options = CrowdOptions(base_url=plan.target, seed=plan.seed,
                           own_addresses=plan.own_addresses)
    await seed(Crowd(options, crew), plan.seed_accounts)
    rate, _ = await Crowd(options, crew).closed_loop(
        plan.schedule.mix_at(0), plan.capacity_workers, plan.capacity_seconds)
    return rate


def compare(plan: RunPlan, names: Sequence[str], out: Path,
            progress: Progress | None = None,
            announce: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every contender; write ``out/report.json`` and return it."""
    ordered = order(names)  # refuses unknown or unavailable contenders before anything starts
    pin_self(GENERATOR_CPU)
    out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict[str, Any]] = {}
    tuning: sites.Tuning | None = None
    for name in ordered:
        if name in sites.NEEDS_TUNING and tuning is None:
            with sites.start("unprotected", out / "work" / "tuning") as site:
                measured = run_blocking(_capacity_only(replace(
                    plan, target=site.url, database_url=site.database_url)))
            tuning = sites.Tuning(measured)
            announce(f"unprotected capacity {measured:.1f}/s: limits set to "
                     f"{tuning.concurrency} in flight, {measured:.0f} requests/s")
        with sites.start(name, out / "work" / name, tuning) as site:
            announce(f"{name}: serving on {site.url}")

            def tick(elapsed: float, active: int, done: int, _name: str = name) -> None:
                if progress is not None:
                    progress(_name, elapsed, active, done)

            outcome = run_blocking(surge(
                replace(plan, target=site.url, database_url=site.database_url), tick))
        if name == "unprotected":
            tuning = sites.Tuning(outcome.capacity_rps)
        summary = outcome.summary
        if name in sites.NEEDS_TUNING and tuning is not None:
            summary["limits"] = {"concurrency": tuning.concurrency,
                                 "rate_rps": round(tuning.capacity_rps, 1)}
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
        f"{name}: goodput mean {run['goodput_rps']['mean']}/s (peak {run['goodput_rps']['peak']})"
        f", offered peak {run['offered_rps']['peak']}/s, p99 {run['latency_ms']['p99']} ms, "
        f"journeys {journeys['completed']}/{journeys['started']} completed, "
        f"lost {submissions.get('lost', '-')}, duplicated {submissions.get('duplicated', '-')}"
        f"{'' if run['valid'] else ' INVALID: ' + str(run['invalid_reason'])}"
    )


def plan_for(schedule: Schedule, **overrides: Any) -> RunPlan:
    """A plan whose bounds fit the run: capacity and drain scale down for short runs."""
    duration = schedule.duration
    defaults: dict[str, Any] = {
        "capacity_seconds": min(10.0, max(2.0, duration / 10)),
        "drain": min(30.0, max(3.0, duration / 4)),
        "seed_accounts": min(8, max(4, round(duration / 4))),
    }
    defaults.update({k: v for k, v in overrides.items() if v is not None})
    return RunPlan(target="", schedule=schedule, **defaults)

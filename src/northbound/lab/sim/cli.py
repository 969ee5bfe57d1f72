"""``northbound lab simulate``: the real waiting room and admission control, on a virtual
clock, against a model of the servers, for every policy on the same crowd.

    northbound lab simulate --profile election-night --visitors 1000000 --instances 4 \\
        --capacity-rps 400 --out reports/sim
    northbound lab simulate --profile election-night --window 240:420 --visitors 600000 \\
        --capacity-rps 26 --faults capacity@3600+900,instance1@6000+300 --out reports/2016
    northbound lab simulate --bench        # visitors per CPU second, peak memory
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from .. import profiles
from ..report import document, write
from .calibrate import service_from_report
from .crowd import Manners, clip, with_warmup
from .faults import parse_faults
from .policies import NAMES
from .run import Setup, simulate
from .site import SiteShape
from .summary import run_summary

console = Console(stderr=True)


def _setup(
    profile: str,
    window: str | None,
    visitors: int,
    shape: SiteShape,
    faults: str,
    seed: int,
    patience: float,
    bots: float,
    warmup: float = 0.0,
) -> Setup:
    try:
        chosen = profiles.load(profile)
        if window:
            start, _, end = window.partition(":")
            chosen = clip(chosen, float(start), float(end))
        chosen = with_warmup(chosen, warmup)
        return Setup(
            chosen,
            visitors,
            shape,
            Manners(patience_median=patience, bots=bots),
            parse_faults(faults),
            seed,
        )
    except (profiles.ProfileError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc


def run_all(
    setup: Setup, names: list[str], out: Path | None = None, show: bool = True
) -> dict[str, Any]:
    """Simulate every policy; write ``out/report.json`` and ``report.html`` if ``out``."""
    from .page import render  # matplotlib: only when a report is drawn

    runs: dict[str, Any] = {}
    capacity = setup.shape.capacity_rps
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        disable=not show,
    ) as progress:
        for name in names:
            task = progress.add_task(name, total=1.0, note="")

            def tick(simulated: float, total: float, task: Any = task) -> None:
                elapsed = progress.tasks[task].elapsed or 1e-9
                progress.update(
                    task,
                    completed=min(1.0, simulated / total),
                    note=f"{simulated:,.0f} s simulated, {simulated / elapsed:,.0f}x real time",
                )

            outcome = simulate(setup, name, tick)
            runs[name] = run_summary(outcome, setup.faults, capacity)
            progress.update(task, completed=1.0)
            if out is not None:  # what is done survives a long run cut short
                write(out, _report(setup, runs))
    report = _report(setup, runs)
    if out is not None:
        write(out, report)
        render(out)
    return report


def _report(setup: Setup, runs: dict[str, Any]) -> dict[str, Any]:
    capacity = setup.shape.capacity_rps
    report = document(setup.schedule(), runs)
    report["simulation"] = {
        "visitors": setup.visitors,
        "seed": setup.seed,
        "instances": setup.shape.instances,
        "capacity_rps": capacity,
        "workers": setup.shape.workers,
        "service_mean_seconds": round(setup.shape.service().mean, 4),
        "service_sigma": setup.shape.service().sigma,
        "capacity_people_per_minute": round(setup.capacity_people_per_minute(), 1),
        "patience_median_seconds": setup.manners.patience_median,
        "faults": [f.describe() for f in setup.faults],
        "about": "Northbound's own WaitingRoom (in-process store shared by all instances) "
        "and Limiter (Gradient2) run on a virtual clock against modelled servers; "
        "every policy sees the same people.",
    }
    return report


def headline(name: str, run: dict[str, Any]) -> str:
    sim = run["simulation"]
    ttgi = sim["time_to_get_in_seconds"]
    return (
        f"{name:>11}: {sim['people']:,} people, got in {sim['abandonment']['got_in']:,} "
        f"of {sim['abandonment']['tried_to_get_in']:,} trying, "
        f"gave up {sim['abandonment']['gave_up_share']}, journeys "
        f"{sim['goodput']['journeys_completed']:,}, get in p50/p90/p99 "
        f"{ttgi['p50']}/{ttgi['p90']}/{ttgi['p99']} s, out of order "
        f"{sim['fairness']['out_of_order_share']}, Jain {sim['fairness']['jain_mean']}, "
        f"ETA err {sim['eta_error']['median']}/{sim['eta_error']['p90']}, peak line "
        f"{sim['peak_line']:,}, util {sim['utilisation']['mean_during_arrivals']}, "
        f"CPU {sim['cost']['cpu_seconds']} s"
    )


def bench(shape: SiteShape, seed: int) -> list[dict[str, Any]]:
    """Visitors per CPU second and peak memory, 100k then 1M people, Northbound's policy."""
    rows = []
    for visitors in (100_000, 1_000_000):
        setup = Setup(profiles.load("election-night"), visitors, shape, seed=seed)
        outcome = simulate(setup, "northbound")
        rows.append(
            {
                "visitors": visitors,
                "cpu_seconds": round(outcome.cpu_seconds, 1),
                "visitors_per_cpu_second": round(visitors / outcome.cpu_seconds),
                "events": outcome.events,
                "simulated_per_wall_second": round(outcome.simulated / outcome.wall_seconds),
                "peak_rss_mb": round(outcome.peak_rss_mb, 1),
            }
        )
        console.print(rows[-1])
    return rows


def simulate_command(
    out: Annotated[
        Path | None, typer.Option(help="Folder for report.json and report.html.")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="Shipped profile name or a YAML file.")
    ] = "election-night",
    visitors: Annotated[
        int, typer.Option(min=1, help="People arriving over the window.")
    ] = 1_000_000,
    window: Annotated[
        str | None,
        typer.Option(help="Only profile minutes START:END (e.g. 240:420), re-based to 0."),
    ] = None,
    instances: Annotated[int, typer.Option(min=1)] = 4,
    capacity_rps: Annotated[
        float,
        typer.Option(
            "--capacity-rps", min=0.01, help="What all instances serve together, per second."
        ),
    ] = 400.0,
    workers: Annotated[int, typer.Option(min=1, help="Requests one instance serves at once.")] = 1,
    sigma: Annotated[float, typer.Option(min=0.0, help="Log-normal shape of service times.")] = 0.5,
    calibrate: Annotated[
        Path | None,
        typer.Option(help="A lab report.json: service times from its measured latency."),
    ] = None,
    faults: Annotated[
        str,
        typer.Option(help="e.g. instance1@600+120,store@900+10,capacity@1200+600 (run seconds)."),
    ] = "",
    policies: Annotated[str, typer.Option(help="Comma-separated policies.")] = ",".join(NAMES),
    patience: Annotated[
        float, typer.Option(help="Median seconds a person keeps trying to get in.")
    ] = 600.0,
    warmup: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Minutes of baseline load before the profile (admission control "
            "learns normal latency); fault times count from the very start.",
        ),
    ] = 0.0,
    bots: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of arrivals that hammer an account page once a second."
        ),
    ] = Manners().bots,
    seed: Annotated[int, typer.Option(help="Seed of the crowd and every random draw.")] = 1,
    run_bench: Annotated[
        bool, typer.Option("--bench", help="Only measure the simulator's speed and memory.")
    ] = False,
) -> None:
    """Simulate a surge at full scale against the real defence, policy by policy."""
    mean = None
    if calibrate is not None:
        service = service_from_report(calibrate)
        mean, sigma = service.mean, service.sigma or 0.0
        capacity_rps = instances * workers / mean
        console.print(
            f"calibrated: service {1000 * mean:.1f} ms mean, sigma {sigma:.2f}; "
            f"capacity {capacity_rps:.0f} requests/s"
        )
    shape = SiteShape(
        instances=instances,
        capacity_rps=capacity_rps,
        workers=workers,
        sigma=sigma,
        mean_service=mean,
    )
    if run_bench:
        typer.echo(json.dumps(bench(shape, seed)))
        return
    if out is None:
        raise typer.BadParameter("--out is required", param_hint="--out")
    setup = _setup(profile, window, visitors, shape, faults, seed, patience, bots, warmup)
    names = [n.strip() for n in policies.split(",") if n.strip()]
    schedule = setup.schedule()
    console.print(
        f"{schedule.profile.name}: {visitors:,} people over "
        f"{schedule.duration / 60:,.0f} min (peak {schedule.peak_rate():.1f}/s); "
        f"{instances} instances, {capacity_rps:g} requests/s, about "
        f"{math.floor(setup.capacity_people_per_minute()):,} people/min"
    )
    report = run_all(setup, names, out)
    for name, run in report["runs"].items():
        console.print(headline(name, run))
    console.print(f"report: {out / 'report.json'} and {out / 'report.html'}")

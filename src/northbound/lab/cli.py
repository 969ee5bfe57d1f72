"""``northbound lab ...``: prove it before the night.

    northbound lab compare --profile election-night --duration 120 --out docs/reports/night
    northbound lab run --target http://127.0.0.1:8000 --profile steady --duration 60 --out r/
    northbound lab report r/            # re-render report.html from report.json
    northbound lab audit r/ --database-url sqlite+aiosqlite:///data/northbound.db
    northbound lab profiles

Exit codes: 0 all good; 2 a run was invalid (the generator, not the site, set the pace);
3 an acknowledged submission was lost or duplicated.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from . import profiles
from .addresses import RemoteTarget, check_target, is_loopback_host
from .sim.cli import simulate_command

lab_app = typer.Typer(
    help="The surge lab: replay a crowd against the site and report.", no_args_is_help=True
)
lab_app.command("simulate")(simulate_command)
console = Console(stderr=True)

ProfileOption = Annotated[str, typer.Option(help="Shipped profile name or a YAML file.")]
DurationOption = Annotated[float, typer.Option(min=1, max=3600, help="Seconds of arrivals.")]
BaselineOption = Annotated[
    float | None,
    typer.Option(
        "--baseline-rps", help="People arriving per second at load 1 (default: the profile's)."
    ),
]
SpeedOption = Annotated[
    float | None,
    typer.Option(
        help="Profile seconds per run second (default: fit the whole profile in the duration)."
    ),
]
SeedOption = Annotated[int, typer.Option(help="Random seed of arrivals and choices.")]


def _schedule(
    profile: str, duration: float, baseline: float | None, speed: float | None
) -> profiles.Schedule:
    try:
        return profiles.bind(profiles.load(profile), duration, baseline, speed)
    except profiles.ProfileError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _exit_code(report: dict[str, Any]) -> int:
    runs = report["runs"].values()
    if any(
        (run.get("submissions") or {}).get("lost")
        or (run.get("submissions") or {}).get("duplicated")
        for run in runs
    ):
        return 3
    return 0 if all(run["valid"] for run in runs) else 2


def _render(out: Path, png_files: bool = False) -> None:
    from .report_page import render

    path = render(out, png_files)
    console.print(f"report: {out / 'report.json'} and {path}")


class _Bars:
    """One Rich progress bar per contender: seconds of the surge, people on the site."""

    def __init__(self, progress: Progress, total: float) -> None:
        self.progress = progress
        self.total = total
        self.tasks: dict[str, Any] = {}

    def __call__(self, name: str, elapsed: float, active: int, done: int) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=self.total, people="")
        self.progress.update(
            self.tasks[name],
            completed=min(elapsed, self.total),
            people=f"{active} on the site, {done} done",
        )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[people]}"),
        console=console,
        transient=False,
    )


@lab_app.command()
def run(
    target: Annotated[str, typer.Option(help="Address of the site to flood.")],
    out: Annotated[Path, typer.Option(help="Folder for report.json and report.html.")],
    profile: ProfileOption = "election-night",
    duration: DurationOption = 120.0,
    baseline_rps: BaselineOption = None,
    speed: SpeedOption = None,
    seed: SeedOption = 1,
    name: Annotated[str, typer.Option(help="Name of this run in the report.")] = "target",
    database_url: Annotated[
        str | None,
        typer.Option(
            help="The site's database (read only): verification mail and the lost-submission "
            "check. Without it the check is skipped."
        ),
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a target that is not this machine.")
    ] = False,
) -> None:
    """Run one surge against a site that is already running."""
    from .compare import headline, plan_for
    from .report import document, write, write_ledger
    from .run import run_blocking, surge

    try:
        url = check_target(target, allow_remote)
    except RemoteTarget as exc:
        raise typer.BadParameter(str(exc), param_hint="--target") from exc
    schedule = _schedule(profile, duration, baseline_rps, speed)
    # people get their own 127.x source addresses only when the site is on this machine
    plan = plan_for(
        schedule,
        database_url=database_url,
        seed=seed,
        own_addresses=is_loopback_host(urlsplit(url).hostname or ""),
    )
    plan.target = url
    with _progress() as progress:
        bars = _Bars(progress, duration + plan.drain)
        outcome = run_blocking(surge(plan, lambda e, a, d: bars(name, e, a, d)))
    report = document(schedule, {name: outcome.summary})
    write(out, report)
    write_ledger(out, name, outcome.result.crew)
    console.print(headline(name, outcome.summary))
    _render(out)
    raise typer.Exit(_exit_code(report))


@lab_app.command()
def compare(
    out: Annotated[Path, typer.Option(help="Folder for report.json and report.html.")],
    profile: ProfileOption = "election-night",
    duration: DurationOption = 120.0,
    contenders: Annotated[
        str,
        typer.Option(help="Comma-separated: protected, unprotected, uvicorn-limit, nginx-limit."),
    ] = "protected,unprotected,uvicorn-limit,nginx-limit",
    baseline_rps: BaselineOption = None,
    speed: SpeedOption = None,
    seed: SeedOption = 1,
) -> None:
    """Start each contender fresh, run the same surge against each, write one report."""
    from .compare import compare as run_all
    from .compare import plan_for

    schedule = _schedule(profile, duration, baseline_rps, speed)
    names = [n.strip() for n in contenders.split(",") if n.strip()]
    plan = plan_for(schedule, seed=seed)
    console.print(
        f"{schedule.profile.name}: {duration:g} s, peak "
        f"{schedule.peak_rate():.1f} people/s, speed {schedule.speed:.1f}x; "
        f"contenders {', '.join(names)}"
    )
    try:
        with _progress() as progress:
            # absolute: the servers it starts run from their own folders, and a relative
            # data path would put their database somewhere the audit never looks
            report = run_all(
                plan,
                names,
                out.resolve(),
                _Bars(progress, duration + plan.drain),
                announce=console.print,
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    _render(out)
    raise typer.Exit(_exit_code(report))


@lab_app.command()
def report(
    directory: Annotated[Path, typer.Argument(help="Folder with report.json.")],
    png: Annotated[bool, typer.Option("--png", help="Also write each plot as NAME.png.")] = False,
) -> None:
    """Re-render report.html from report.json."""
    _render(directory, png)


@lab_app.command()
def audit(
    directory: Annotated[Path, typer.Argument(help="Folder with ledger-NAME.json files.")],
    database_url: Annotated[str, typer.Option(help="The site's database (read only).")],
    name: Annotated[str, typer.Option(help="Which run's ledger.")] = "target",
) -> None:
    """Check that every receipt a person was shown exists exactly once in the database."""
    from .audit import SiteData, check
    from .journeys import Acknowledgement

    ledger = json.loads((directory / f"ledger-{name}.json").read_text())
    acknowledged = [
        Acknowledgement(r["email"], r["receipt"], r["at"]) for r in ledger["acknowledged"]
    ]

    async def stored() -> Any:
        site = SiteData(database_url)
        try:
            return await site.submissions(f"lab-{ledger['run_id']}-%")
        finally:
            await site.close()

    result = check(acknowledged, asyncio.run(stored()))
    typer.echo(json.dumps(result.as_dict()))
    raise typer.Exit(3 if result.lost or result.duplicated else 0)


@lab_app.command("profiles")
def list_profiles() -> None:
    """The shipped traffic profiles."""
    for name in profiles.shipped():
        profile = profiles.load(name)
        typer.echo(
            f"{name}: {profile.length_minutes:g} min, peak {profile.peak_load():g}x "
            f"of {profile.baseline_rps:g} people/s - {profile.description}"
        )

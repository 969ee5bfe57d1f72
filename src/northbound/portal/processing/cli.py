"""``northbound processing ...``: publish, list and withdraw processing-time estimates.

Running instances pick a change up within a minute (their snapshot's refresh); the portal's
own queues need no command, their estimates are measured from decisions.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated

import typer

from northbound.ops.table import render_table
from northbound.portal.processing import service
from northbound.portal.processing.catalogue import TYPES
from northbound.storage.database import with_database

processing_app = typer.Typer(
    help="Processing-time estimates shown by the processing-times tool.", no_args_is_help=True
)


@processing_app.command("types")
def types_command() -> None:
    """The application types, and which ones need a country."""
    typer.echo(
        render_table(
            ["type", "by country", "measured from our own queue", "title"],
            [
                (
                    kind.code,
                    "yes" if kind.by_country else "no",
                    "yes" if kind.queue else "no",
                    kind.title,
                )
                for kind in TYPES
            ],
        )
    )


@processing_app.command("set")
def set_command(
    application_type: Annotated[str, typer.Argument(help="A type code (see `types`).")],
    days: Annotated[int, typer.Argument(help="Days within which most are decided.")],
    country: Annotated[str, typer.Option(help="ISO 3166 code, for types by country.")] = "",
    published_on: Annotated[
        str, typer.Option("--published-on", help="YYYY-MM-DD; today by default.")
    ] = "",
    by: Annotated[str, typer.Option(help="Who publishes it (kept with the estimate).")] = "cli",
) -> None:
    """Publish or replace one estimate."""
    try:
        day = date.fromisoformat(published_on) if published_on else date.today()
    except ValueError as exc:
        raise typer.BadParameter("a date as YYYY-MM-DD", param_hint="--published-on") from exc
    try:
        asyncio.run(with_database(service.set_estimate, application_type, country, days, day, by))
    except service.EstimateRefused as exc:
        typer.echo(f"Not done: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"published: {application_type}{' ' + country.upper() if country else ''} {days} days"
    )


@processing_app.command("clear")
def clear_command(
    application_type: Annotated[str, typer.Argument()],
    country: Annotated[str, typer.Option(help="ISO 3166 code, for types by country.")] = "",
) -> None:
    """Withdraw one estimate."""
    if not asyncio.run(with_database(service.clear_estimate, application_type, country)):
        typer.echo("Not done: no such estimate", err=True)
        raise typer.Exit(2)
    typer.echo("withdrawn")


@processing_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Every published estimate."""
    rows = asyncio.run(with_database(service.published_estimates))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "type": row.application_type,
                        "country": row.country or None,
                        "days": row.days,
                        "publishedOn": row.published_on.isoformat(),
                        "by": row.updated_by,
                    }
                    for row in rows
                ]
            )
        )
        return
    if not rows:
        typer.echo("no estimate published")
        return
    typer.echo(
        render_table(
            ["type", "country", "days", "published", "by"],
            [
                (
                    row.application_type,
                    row.country or "-",
                    str(row.days),
                    row.published_on.isoformat(),
                    row.updated_by,
                )
                for row in rows
            ],
        )
    )

"""``northbound cluster up``: the multi-instance shape on this machine, until Ctrl+C."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer

cluster_app = typer.Typer(help="Run nginx + several instances + PostgreSQL + Redis locally.",
                          no_args_is_help=True)


@cluster_app.callback()
def _group() -> None:
    """The local cluster (a group, so `up` stays a sub-command)."""


@cluster_app.command()
def up(
    instances: Annotated[int, typer.Option(min=1, max=16, help="How many instances.")] = 3,
    port: Annotated[int, typer.Option(min=1, max=65535, help="nginx's port.")] = 8080,
    folder: Annotated[Path | None, typer.Option(
        help="Where the engines, logs and nginx keep their files (default: a temp dir).")] = None,
    database_url: Annotated[str, typer.Option(
        help="Use this PostgreSQL instead of starting a private one.")] = "",
    redis_url: Annotated[str, typer.Option(
        help="Use this Redis instead of starting a private one.")] = "",
) -> None:
    """Start everything, print the addresses, stop it all cleanly on Ctrl+C or SIGTERM."""
    from northbound.ops.cluster.local import LocalCluster

    where = folder or Path(tempfile.mkdtemp(prefix="northbound-cluster-"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    cluster = LocalCluster(where, instances, port, database_url, redis_url)
    with cluster:
        typer.echo(f"site: {cluster.url} (nginx) -> "
                   + ", ".join(m.url for m in cluster.members))
        typer.echo(f"database: {cluster.database_url}\nredis: {cluster.redis_url}\n"
                   f"files: {where}\nCtrl+C stops everything.")
        stop.wait()
        typer.echo("stopping: nginx, instances, Redis, PostgreSQL")

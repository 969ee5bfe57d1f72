"""``northbound cluster up``: the multi-instance shape on this machine, until Ctrl+C."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer

cluster_app = typer.Typer(
    help="Run nginx + several instances + PostgreSQL + Redis locally.", no_args_is_help=True
)


@cluster_app.callback()
def _group() -> None:
    """The local cluster (a group, so `up` stays a sub-command)."""


@cluster_app.command()
def up(
    instances: Annotated[int, typer.Option(min=1, max=16, help="How many instances.")] = 3,
    port: Annotated[int, typer.Option(min=1, max=65535, help="nginx's port.")] = 8080,
    folder: Annotated[
        Path | None,
        typer.Option(
            help="Where the engines, logs and nginx keep their files (default: a temp dir)."
        ),
    ] = None,
    database_url: Annotated[
        str, typer.Option(help="Use this PostgreSQL instead of starting a private one.")
    ] = "",
    redis_url: Annotated[
        str, typer.Option(help="Use this Redis instead of starting a private one.")
    ] = "",
) -> None:
    """Start everything, print the addresses, stop it all cleanly on Ctrl+C or SIGTERM."""
    from northbound.ops.cluster.local import LocalCluster

    where = folder or Path(tempfile.mkdtemp(prefix="northbound-cluster-"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    cluster = LocalCluster(where, instances, port, database_url, redis_url)
    with cluster:
        typer.echo(f"site: {cluster.url} (nginx) -> " + ", ".join(m.url for m in cluster.members))
        typer.echo(
            f"database: {cluster.database_url}\nredis: {cluster.redis_url}\n"
            f"files: {where}\nCtrl+C stops everything."
        )
        stop.wait()
        typer.echo("stopping: nginx, instances, Redis, PostgreSQL")


@cluster_app.command("nginx-config")
def nginx_config(
    upstream: Annotated[
        list[str], typer.Option(help="An instance as host:port (repeat for each).")
    ],
    listen: Annotated[str, typer.Option(help="Address nginx listens on.")] = "8080",
    prefix: Annotated[
        Path, typer.Option(help="Folder for nginx's pid, logs, cache and temporary files.")
    ] = Path("/var/cache/nginx/northbound"),
    user: Annotated[str, typer.Option(help="Account of the worker processes.")] = "nginx",
) -> None:
    """Print deploy/nginx's configuration filled in (e.g. for a container or a host)."""
    from northbound.ops.cluster.nginx import render

    try:
        typer.echo(render(listen, upstream, prefix, user=user), nl=False)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None

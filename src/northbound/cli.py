"""The ``northbound`` command: serve the site, migrate the database, operate it."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Annotated

import typer

from northbound import __version__
from northbound.lab.cli import lab_app
from northbound.ops.cluster.cli import cluster_app
from northbound.ops.keys_cli import keys_app
from northbound.portal.accounts.cli import outbox, users_app
from northbound.portal.lottery.cli import lottery_app
from northbound.portal.processing.cli import processing_app
from northbound.room_cli import room_app
from northbound.storage.database import with_database
from northbound.surge_cli import surge_app

if TYPE_CHECKING:
    from northbound.settings import Settings


cli = typer.Typer(
    name="northbound",
    help="Northbound: the immigration website that stays up on election night.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Create and upgrade the database schema.", no_args_is_help=True)
notice_app = typer.Typer(
    help="Show, set or clear the notice banner on every page.", no_args_is_help=True
)
cli.add_typer(db_app, name="db")
cli.add_typer(notice_app, name="notice")
cli.add_typer(users_app, name="users")
cli.add_typer(room_app, name="room")
cli.add_typer(surge_app, name="surge")
cli.add_typer(lab_app, name="lab")
cli.add_typer(keys_app, name="keys")
cli.add_typer(cluster_app, name="cluster")
cli.add_typer(lottery_app, name="lottery")
cli.add_typer(processing_app, name="processing")
cli.command("outbox")(outbox)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"northbound {__version__}")
        raise typer.Exit()


@cli.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Serve and operate the Northbound portal. Settings come from NORTHBOUND_* variables."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (each its own event loop).", min=1, max=64)
    ] = 1,
    unprotected: Annotated[
        bool,
        typer.Option(
            "--unprotected", help="Turn the surge defence off (for baseline measurements)."
        ),
    ] = False,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log one JSON line per request.")
    ] = False,
) -> None:
    """Serve the site (embedded default: SQLite and in-process state)."""
    import uvicorn

    from northbound.settings import Settings

    if unprotected:
        os.environ["NORTHBOUND_PROTECTED"] = "false"
    if access_log:
        os.environ["NORTHBOUND_ACCESS_LOG"] = "true"
    if "NORTHBOUND_BASE_URL" not in os.environ:
        # links in emails (and the outbox) point where the site is actually served
        os.environ["NORTHBOUND_BASE_URL"] = f"http://{_url_host(host)}:{port}"
    from northbound.keys import KeyConfigurationError

    try:
        settings = Settings()
        settings.require_shared_secret()
    except (KeyConfigurationError, ValueError) as error:
        typer.echo(f"Cannot start: {error}", err=True)
        raise typer.Exit(2) from None
    if workers > 1 and not settings.secret_key_is_set:
        # Workers must share the signing key, or a pass issued by one is refused by another.
        os.environ["NORTHBOUND_SECRET_KEY"] = settings.secret_key.get_secret_value()
    metrics_dir = None
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Each worker is its own process: they write metrics to files in one folder, and
        # /metrics in any worker adds them all up (prometheus_client's multiprocess mode).
        metrics_dir = tempfile.mkdtemp(prefix="northbound-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    if workers > 1 and settings.protected and not settings.redis_url:
        typer.echo(
            "note: without NORTHBOUND_REDIS_URL each worker keeps its own waiting-room line and "
            "rate-limit buckets; set it for one shared line across workers and instances.",
            err=True,
        )
    _prepare_schema(settings)
    typer.echo(
        f"Northbound {__version__} on http://{host}:{port} "
        f"({'protected' if settings.protected else 'UNPROTECTED'}, "
        f"database {'SQLite' if settings.is_sqlite else 'PostgreSQL'}, "
        f"state {'Redis' if settings.redis_url else 'in-process'})"
    )
    if settings.metrics.port is not None:
        from northbound.ops.metrics_listener import start_metrics_listener

        start_metrics_listener(settings.metrics.host, settings.metrics.port)
        typer.echo(f"metrics on http://{settings.metrics.host}:{settings.metrics.port}/metrics")
    try:
        uvicorn.run(
            "northbound.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
            backlog=settings.listen_backlog,
            timeout_keep_alive=settings.keep_alive_seconds,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _url_host(host: str) -> str:
    """The host part of a URL for a listen address: a wildcard listens on loopback too, and an
    IPv6 address is bracketed."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _prepare_schema(settings: Settings) -> None:
    """Migrate the embedded SQLite default once, before any worker starts; refuse to serve
    another database whose schema is behind, naming the command that fixes it."""
    from northbound.storage.database import create_engine
    from northbound.storage.schema import SchemaBehind, ensure_current

    async def check() -> None:
        engine = create_engine(
            settings.effective_database_url, settings.database_breaker.connect_timeout_seconds
        )
        try:
            await ensure_current(engine, embedded=settings.is_sqlite)
        finally:
            await engine.dispose()

    try:
        asyncio.run(check())
    except SchemaBehind as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from northbound.settings import Settings
    from northbound.storage import migrate

    settings = Settings()
    migrate.upgrade(settings.effective_database_url, revision)
    typer.echo(f"database at {revision}: {_describe(settings.effective_database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    from northbound.settings import Settings
    from northbound.storage import migrate

    migrate.current(Settings().effective_database_url)


def _describe(url: str) -> str:
    from sqlalchemy.engine.url import make_url

    return make_url(url).render_as_string(hide_password=True)


@notice_app.command("show")
def notice_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Print the banner every page shows now."""
    import json

    from northbound.ops.table import render_table
    from northbound.portal.notices import current_notice

    notice, updated = asyncio.run(with_database(current_notice))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "en": notice.en,
                    "fr": notice.fr,
                    "level": notice.level,
                    "since": updated.isoformat() if notice.en else None,
                }
            )
        )
        return
    if not notice.en:
        typer.echo("no notice")
        return
    typer.echo(
        render_table(
            ["notice", "now"],
            [
                ("level", notice.level),
                ("since (UTC)", f"{updated:%Y-%m-%d %H:%M}"),
                ("English", notice.en),
                ("French", notice.fr),
            ],
        )
    )


@notice_app.command("set")
def notice_set(
    english: Annotated[str, typer.Option("--en", help="English text.")],
    french: Annotated[str, typer.Option("--fr", help="French text.")],
    level: Annotated[str, typer.Option(help="info, warning or danger.")] = "info",
) -> None:
    """Show a banner on every page (running instances pick it up within seconds)."""
    from northbound.portal.notices import set_notice

    try:
        asyncio.run(with_database(set_notice, english, french, level))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo("notice set")


@notice_app.command("clear")
def notice_clear() -> None:
    """Remove the banner."""
    from northbound.portal.notices import clear_notice

    asyncio.run(with_database(clear_notice))
    typer.echo("notice cleared")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

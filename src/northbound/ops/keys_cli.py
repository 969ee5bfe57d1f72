"""``northbound keys ...``: draw secrets and show what signs now (never the secrets)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from northbound import keys
from northbound.ops.table import render_table

keys_app = typer.Typer(
    help="Secret and pass keys: generate, inspect, rotate.", no_args_is_help=True
)


@keys_app.command("generate")
def generate() -> None:
    """Print a new random secret (for NORTHBOUND_SECRET_KEY or a pass key)."""
    typer.echo(keys.generate_secret())


@keys_app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Which secret signs and which still verify, by fingerprint (the values stay hidden)."""
    from northbound.settings import Settings

    try:
        settings = Settings()
        settings.require_shared_secret()
    except (keys.KeyConfigurationError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    current = settings.secret_key.get_secret_value()
    document = {
        "secret": keys.fingerprint(current),
        "secretSource": "environment"
        if settings.secret_key_is_set
        else str(settings.data_dir / keys.SECRET_FILE_NAME),
        "previousSecrets": [
            keys.fingerprint(s.get_secret_value()) for s in settings.previous_secret_keys
        ],
        "passKeys": [entry.partition(":")[0] for entry in settings.waiting_room.pass_keys],
    }
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    typer.echo(
        render_table(
            ["key", "value"],
            [
                ("secret (signs)", document["secret"]),
                ("secret kept in", document["secretSource"]),
                ("previous secrets (verify)", ", ".join(document["previousSecrets"]) or "-"),
                ("pass key ids (first signs)", ", ".join(document["passKeys"])),
            ],
        )
    )

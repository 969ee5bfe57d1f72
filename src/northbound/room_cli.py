"""``northbound room ...``: operator controls of the waiting room.

It lives at the site layer, not in ``surge/``: it reads the site's settings (Redis URL, base
URL, admin token) and its table renderer, which the reusable room knows nothing about.

With ``NORTHBOUND_REDIS_URL`` set the commands act on the shared state in Redis directly (every
instance picks the change up on its next tick). Without it the line lives inside the running
server's process, so the commands call that server's admin API instead
(``NORTHBOUND_BASE_URL`` + ``/api/v1/admin/room``, bearer ``NORTHBOUND_WAITING_ROOM__ADMIN_TOKEN``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import typer

from northbound.defence import ROOM_ADMIN_PATH
from northbound.surge.waiting_room.admin import CONTROL_ACTIONS, status_document
from northbound.surge.waiting_room.config import WaitingRoomSettings
from northbound.surge.waiting_room.store import Controls

room_app = typer.Typer(help="Operate the waiting room.", no_args_is_help=True)

ADMIN_PATH = ROOM_ADMIN_PATH  # a module name of its own: tests point it at a bare admin app


def _settings() -> tuple[Any, WaitingRoomSettings]:
    from northbound.settings import Settings

    site = Settings()
    room_settings = getattr(site, "waiting_room", None)
    return site, room_settings if room_settings is not None else WaitingRoomSettings()


async def _via_redis(
    site: Any, settings: WaitingRoomSettings, action: str, body: dict[str, Any]
) -> dict[str, Any]:
    from northbound.surge.waiting_room.room import WaitingRoom

    room = WaitingRoom.from_settings(
        settings, site_secret=site.secret_key.get_secret_value(), redis_url=site.redis_url
    )
    try:
        controls = _controls(action, body)
        if controls is not None:
            await room.store.update_controls(controls)
        if action == "revoke":
            await room.revoke(int(body["position"]))
        return status_document(room, await room.refresh())
    finally:
        await room.store.close()


def _controls(action: str, body: dict[str, Any]) -> Controls | None:
    make = CONTROL_ACTIONS.get(action)  # the admin API's own table: one meaning per action
    return make(body) if make is not None else None


def _via_admin_api(
    site: Any, settings: WaitingRoomSettings, action: str, body: dict[str, Any], url: str | None
) -> dict[str, Any]:
    base = (url or site.base_url).rstrip("/") + ADMIN_PATH
    headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
    with httpx.Client(timeout=10.0, headers=headers) as client:
        if action == "status":
            response = client.get(base + "/")
        else:
            response = client.post(f"{base}/{action}", json=body)
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        hint = (
            " (set NORTHBOUND_WAITING_ROOM__ADMIN_TOKEN to the server's admin token)"
            if response.status_code in (401, 403)
            else ""
        )
        typer.echo(f"The server refused ({response.status_code}): {detail}{hint}", err=True)
        raise typer.Exit(1)
    result: dict[str, Any] = response.json()
    return result


ROWS = (
    ("room", "room"),
    ("on", "queueing newcomers"),
    ("mode", "mode"),
    ("autoActive", "switched on by auto mode"),
    ("paused", "paused"),
    ("waiting", "people waiting (polling)"),
    ("lineLength", "places in line"),
    ("serving", "serving number"),
    ("lastPosition", "last place handed out"),
    ("admittedPerMinute", "admitted per minute (measured)"),
    ("fixedRatePerMinute", "fixed rate per minute"),
    ("admitCapPerMinute", "cap per minute"),
    ("opensAt", "opens at (pre-queue)"),
    ("preQueue", "in the pre-queue"),
    ("activeHereNow", "pass holders active here"),
    ("admittedTotal", "admitted in total"),
    ("abandonedTotal", "places abandoned"),
    ("requestsPerHolder", "requests per holder"),
)


def format_status(document: dict[str, Any]) -> str:
    """The status document as a two-column table (``--json`` prints the document itself)."""
    from northbound.ops.table import render_table

    known = [(label, document[key]) for key, label in ROWS if key in document]
    extra = [(key, value) for key, value in document.items() if key not in dict(ROWS)]
    return render_table(["waiting room", "now"], [*known, *extra])


def _run(
    action: str, body: dict[str, Any] | None = None, url: str | None = None, as_json: bool = False
) -> None:
    site, settings = _settings()
    body = body or {}
    try:
        if site.redis_url and url is None:
            document = asyncio.run(_via_redis(site, settings, action, body))
        else:
            document = _via_admin_api(site, settings, action, body, url)
    except httpx.HTTPError as error:
        typer.echo(
            f"Cannot reach the server's admin API at {url or site.base_url}: {error} "
            "(set NORTHBOUND_BASE_URL "
            "or --url to a running instance, or NORTHBOUND_REDIS_URL to act on the "
            "shared store directly)",
            err=True,
        )
        raise typer.Exit(1) from None
    except OSError as error:
        typer.echo(f"Cannot reach the room's store: {error} (check NORTHBOUND_REDIS_URL)", err=True)
        raise typer.Exit(1) from None
    except ValueError as error:  # a value the admin API would answer 400 to
        typer.echo(f"Not done: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(document, indent=2) if as_json else format_status(document))


_URL = typer.Option(None, help="Server base URL (admin API) instead of the configured store.")
_JSON = typer.Option(False, "--json", help="Print the status as JSON (for scripts).")


@room_app.command()
def status(url: str | None = _URL, as_json: bool = _JSON) -> None:
    """Show whether the room is on, the line, the outflow and the controls."""
    _run("status", url=url, as_json=as_json)


@room_app.command("open")
def open_room(url: str | None = _URL, as_json: bool = _JSON) -> None:
    """Turn the room on: newcomers queue."""
    _run("open", url=url, as_json=as_json)


@room_app.command()
def close(url: str | None = _URL, as_json: bool = _JSON) -> None:
    """Turn the room off: everyone in line and every newcomer goes straight through."""
    _run("close", url=url, as_json=as_json)


@room_app.command()
def auto(url: str | None = _URL, as_json: bool = _JSON) -> None:
    """Back to automatic: on when admission control saturates, off when drained."""
    _run("auto", url=url, as_json=as_json)


@room_app.command()
def pause(url: str | None = _URL, as_json: bool = _JSON) -> None:
    """Stop letting people in (the line keeps its order)."""
    _run("pause", url=url, as_json=as_json)


@room_app.command()
def resume(url: str | None = _URL, as_json: bool = _JSON) -> None:
    """Start letting people in again."""
    _run("resume", url=url, as_json=as_json)


@room_app.command("set-rate")
def set_rate(
    per_minute: str = typer.Argument(..., help="People per minute, or 'auto' for the loop."),
    cap: bool = typer.Option(False, "--cap", help="Set a ceiling instead of a fixed rate."),
    url: str | None = _URL,
    as_json: bool = _JSON,
) -> None:
    """Admit a fixed number per minute (or cap the closed loop with --cap)."""
    if per_minute.lower() in ("auto", "off", "none"):
        value: int | None = None
    elif per_minute.isdigit() and int(per_minute) <= 1_000_000:
        value = int(per_minute)
    else:
        typer.echo("per-minute must be a whole number up to 1000000, or 'auto'", err=True)
        raise typer.Exit(2)
    _run("cap" if cap else "rate", {"perMinute": value}, url=url, as_json=as_json)


@room_app.command()
def revoke(
    position: int = typer.Argument(..., min=1, help="Place in line the pass was issued for."),
    url: str | None = _URL,
    as_json: bool = _JSON,
) -> None:
    """Revoke the pass issued for one place in line."""
    _run("revoke", {"position": position}, url=url, as_json=as_json)

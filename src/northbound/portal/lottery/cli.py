"""``northbound lottery ...``: run an intake from the shell, and verify any draw.

``verify`` reads the database by default; with ``--url`` it reads only the public JSON document
of a running site, exactly what anyone outside can do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer

from northbound.portal.lottery import draw
from northbound.portal.lottery.paths import DRAW_API
from northbound.storage.database import with_database

lottery_app = typer.Typer(
    help="Parents and grandparents lottery: intakes and the draw.", no_args_is_help=True
)
T = TypeVar("T")
INTAKE = typer.Option("--intake", help="Intake number.", min=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _moment(text: str, name: str) -> datetime:
    from northbound.portal.lottery.staff_routes import parse_moment

    moment = parse_moment(text)
    if moment is None:
        raise typer.BadParameter(
            "an ISO 8601 date and time, e.g. 2026-10-13T16:00Z", param_hint=name
        )
    return moment


def _schedule_room(opens_at: datetime, url: str | None) -> None:
    """The room's own schedule control (Redis directly, or the server's admin API)."""
    from northbound.room_cli import _run

    _run("schedule", {"opensAt": opens_at.astimezone(UTC).isoformat()}, url=url)


@lottery_app.command()
def create(
    opens: Annotated[str, typer.Option(help="Opening, ISO 8601 (UTC unless a zone is given).")],
    closes: Annotated[str, typer.Option(help="Closing, ISO 8601.")],
    target: Annotated[int, typer.Option(help="Invitations to send in all.", min=1)],
    cap: Annotated[int, typer.Option(help="Applications to accept.", min=1)],
    notice_en: Annotated[str, typer.Option("--notice-en", help="Notice in English.")],
    notice_fr: Annotated[str, typer.Option("--notice-fr", help="Notice in French.")],
    schedule_room: Annotated[
        bool, typer.Option(help="Schedule the waiting room's pre-queue for the opening.")
    ] = True,
    url: Annotated[str | None, typer.Option(help="Server for the room's admin API.")] = None,
) -> None:
    """Create an intake (its seed commitment is fixed now) and schedule the room's opening."""
    from northbound.portal.lottery import service

    opens_at, closes_at = _moment(opens, "--opens"), _moment(closes, "--closes")
    errors = service.check_intake(opens_at, closes_at, target, cap, notice_en, notice_fr)
    if errors:
        _fail("; ".join(f"{k}: {v}" for k, v in errors.items()))
    intake = asyncio.run(
        with_database(
            lambda db: service.create_intake(
                db,
                opens_at=opens_at,
                closes_at=closes_at,
                invitation_target=target,
                application_cap=cap,
                notice_en=notice_en,
                notice_fr=notice_fr,
                staff_id=None,
                now=_now(),
            )
        )
    )
    typer.echo(f"intake {intake.id} created; commitment {intake.commitment}")
    if schedule_room:
        _schedule_room(opens_at, url)


@lottery_app.command("schedule-room")
def schedule_room_command(
    intake: Annotated[int, INTAKE],
    url: Annotated[str | None, typer.Option(help="Server for the room's admin API.")] = None,
) -> None:
    """(Re)schedule the waiting room's pre-queue for the intake's opening."""
    from northbound.portal.lottery import service

    found = asyncio.run(with_database(lambda db: service.get_intake(db, intake)))
    if found is None:
        _fail(f"no intake {intake}")
    from northbound.portal.accounts.clock import aware

    _schedule_room(aware(found.opens_at), url)


def _guarded(step: Callable[[Any], Awaitable[T]]) -> T:
    from northbound.portal.lottery import service

    try:
        return asyncio.run(with_database(step))
    except service.OutOfOrder as exc:
        _fail(str(exc))
    except LookupError:
        _fail("no such intake or flag")


@lottery_app.command()
def close(intake: Annotated[int, INTAKE]) -> None:
    """Stop taking forms and flag likely duplicates for staff."""
    from northbound.portal.lottery import service

    added = _guarded(lambda db: service.close_intake(db, intake, None, _now()))
    typer.echo(f"intake {intake} closed; {added} new likely duplicate(s) flagged")


@lottery_app.command()
def flags(intake: Annotated[int, INTAKE]) -> None:
    """List likely duplicates and their decisions."""
    from northbound.portal.lottery import service

    for item in _guarded(lambda db: service.flags_of(db, intake)):
        typer.echo(
            f"flag {item.flag.id} [{item.flag.decision or 'open'}] {item.flag.reason}: "
            f"{item.first.confirmation} {item.first.given_names} "
            f"{item.first.family_name} / {item.second.confirmation} "
            f"{item.second.given_names} {item.second.family_name}"
        )


@lottery_app.command("draw")
def run_draw(intake: Annotated[int, INTAKE]) -> None:
    """Publish the eligible list, then the seed."""
    from northbound.portal.lottery import service

    _guarded(lambda db: service.run_draw(db, intake, None, _now))
    typer.echo(f"intake {intake}: list and seed published")


@lottery_app.command()
def verify(
    intake: Annotated[int, INTAKE],
    url: Annotated[
        str | None, typer.Option(help="Read the public JSON of this site instead of the database.")
    ] = None,
) -> None:
    """Recompute the order from the published data and check every invitation round."""
    if url:
        published = _fetch(url, intake)
    else:
        from northbound.portal.lottery import service

        found = asyncio.run(with_database(lambda db: service.published(db, intake)))
        if found is None:
            _fail(f"no intake {intake}")
        published = found
    result = draw.verify(published)
    invited = sum(len(r) for r in published.rounds)
    if not result.ok:
        for problem in result.problems:
            typer.echo(f"FAIL: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"verified: seed matches commitment {published.commitment[:16]}..., "
        f"{len(published.eligible)} eligible, {len(published.rounds)} round(s), "
        f"{invited} invited from the top of the order"
    )


def _fetch(url: str, intake: int, patience: float = 300.0) -> draw.Published:
    """The public JSON, following the waiting room if it is on (429 + Retry-After: wait,
    then ask again with the cookies it set) for up to ``patience`` seconds."""
    import time

    address = url.rstrip("/") + DRAW_API.format(intake_id=intake)
    give_up = time.monotonic() + patience
    try:
        with httpx.Client(timeout=30.0, headers={"accept": "application/json"}) as client:
            response = client.get(address)
            while response.status_code in (429, 503) and time.monotonic() < give_up:
                wait = response.headers.get("retry-after", "")
                time.sleep(min(60.0, float(wait)) if wait.isdigit() else 5.0)
                response = client.get(address)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        return draw.Published(
            commitment=str(document["commitment"]),
            seed_hex=document["seed"],
            eligible=tuple(str(c) for c in document["eligible"]),
            rounds=tuple(tuple(str(c) for c in r["invited"]) for r in document["rounds"]),
            list_digest=document.get("listDigest"),
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        _fail(f"cannot read {address}: {exc}")


@lottery_app.command()
def invite(
    intake: Annotated[int, INTAKE],
    count: Annotated[int, typer.Option(help="Invitations in this round.", min=1)],
    key: Annotated[
        str | None, typer.Option(help="Idempotency key: the same key never sends a round twice.")
    ] = None,
) -> None:
    """Send the next round: the next COUNT sponsors down the order, skipping those invited."""
    import secrets

    from northbound.portal.lottery import service
    from northbound.portal.lottery.texts import invitation_message

    async def work(db: Any) -> service.RoundSent:
        staff = await _system_staff(db)
        return await service.send_round(
            db, intake, count, staff, key or secrets.token_urlsafe(18), _now(), invitation_message
        )

    result = _guarded(work)
    typer.echo(
        f"round {result.round}: {result.invited} invited"
        + (" (replayed)" if result.replayed else "")
    )


async def _system_staff(db: Any) -> int:
    """Rounds are recorded against a staff account: the lowest-numbered one."""
    from sqlalchemy import select

    from northbound.portal.accounts.models import User

    async with db.session() as session:
        staff = await session.scalar(
            select(User.id).where(User.is_staff.is_(True)).order_by(User.id).limit(1)
        )
    if staff is None:
        _fail("create a staff account first: northbound users create-staff EMAIL")
    return int(staff)


@lottery_app.command()
def status(intake: Annotated[int, INTAKE]) -> None:
    """Phase and published counts of an intake, as JSON."""
    from northbound.portal.lottery import service

    async def work(db: Any) -> dict[str, Any]:
        found = await service.get_intake(db, intake)
        if found is None:
            raise LookupError(intake)
        counts = await service.counts(db, intake)
        return {
            "intake": intake,
            "phase": service.phase(found, _now()),
            "commitment": found.commitment,
            "received": counts.received,
            "duplicatesRemoved": counts.duplicates_removed,
            "eligible": counts.eligible,
            "invited": counts.invited,
            "rounds": counts.rounds,
            "openFlags": counts.open_flags,
        }

    typer.echo(json.dumps(_guarded(work), indent=2))

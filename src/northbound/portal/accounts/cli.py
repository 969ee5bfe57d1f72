"""``northbound users ...`` and ``northbound outbox``: operate accounts from the shell."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

users_app = typer.Typer(help="Manage accounts (staff accounts included).", no_args_is_help=True)


async def _create_staff(email: str, password: str) -> str:
    from sqlalchemy import select, update

    from northbound.portal.accounts.emails import normalise_email
    from northbound.portal.accounts.models import User
    from northbound.portal.accounts.passwords import PasswordHashing, password_problem
    from northbound.settings import Settings
    from northbound.storage.database import Database
    from northbound.storage.models import utcnow

    settings = Settings()
    address = normalise_email(email)
    if address is None:
        raise typer.BadParameter("not an email address", param_hint="EMAIL")
    problem = password_problem(password, address)
    if problem:
        raise typer.BadParameter(problem, param_hint="--password")
    password_hash = await PasswordHashing(settings.accounts).hash(password)
    db = Database(settings.effective_database_url)
    try:
        async with db.session() as session, session.begin():
            existing = (
                await session.execute(select(User.id).where(User.email == address))
            ).scalar_one_or_none()
            if existing is not None:
                await session.execute(
                    update(User)
                    .where(User.id == existing)
                    .values(is_staff=True, password_hash=password_hash)
                )
                return "existing account made staff"
            session.add(
                User(
                    email=address,
                    password_hash=password_hash,
                    is_staff=True,
                    language="en",
                    email_verified_at=utcnow(),
                    created_at=utcnow(),
                )
            )
            return "staff account created"
    finally:
        await db.dispose()


@users_app.command("create-staff")
def create_staff(
    email: Annotated[str, typer.Argument(help="The staff member's email address.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Password (prompted when not given).",
        ),
    ],
) -> None:
    """Create a staff account (or give an existing account staff rights)."""
    typer.echo(asyncio.run(_create_staff(email, password)))


async def _outbox(send: bool) -> None:
    from northbound.portal.accounts.mail import deliver_pending, pending_mail
    from northbound.settings import Settings
    from northbound.storage.database import Database

    settings = Settings()
    db = Database(settings.effective_database_url)
    try:
        if send:
            if not settings.accounts.smtp_host:
                raise typer.BadParameter("set NORTHBOUND_ACCOUNTS__SMTP_HOST to send mail")
            typer.echo(f"sent {await deliver_pending(db, settings.accounts)} message(s)")
            return
        mails = await pending_mail(db)
        if not mails:
            typer.echo("no pending mail")
        for mail in mails:
            typer.echo(
                f"--- #{mail.id} {mail.created_at:%Y-%m-%d %H:%M} UTC\n"
                f"To: {mail.to_address}\nSubject: {mail.subject}\n\n{mail.body}\n"
            )
    finally:
        await db.dispose()


def outbox(
    send: Annotated[bool, typer.Option("--send", help="Send pending mail by SMTP.")] = False,
) -> None:
    """Print mail waiting in the outbox (verification and reset links), or send it."""
    asyncio.run(_outbox(send))

"""Account operations: sign-up, sign-in with lockout, password change and reset, verification.

Functions return an English message (translated by the page) or raise nothing for bad input:
the routes turn messages into field errors.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.accounts.clock import aware
from northbound.portal.accounts.emails import normalise_email
from northbound.portal.accounts.mail import queue_mail
from northbound.portal.accounts.models import AccountToken, User
from northbound.portal.accounts.passwords import password_problem
from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.state import AccountsState
from northbound.settings import Language
from northbound.web.i18n import gettext

VERIFY = "verify"
RESET = "reset"


@dataclass
class SignInResult:
    user: User | None = None
    error: str = ""
    locked_minutes: int = 0


def _link(state: AccountsState, language: Language, page: str, token: str) -> str:
    return f"{state.settings.base_url.rstrip('/')}{ACCOUNT_PATHS[page][language]}?token={token}"


async def _one_time_link(
    state: AccountsState, session: AsyncSession, user: User, purpose: str, lifetime: timedelta
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            id=hashlib.sha256(token.encode()).hexdigest(),
            user_id=user.id,
            purpose=purpose,
            expires_at=state.clock() + lifetime,
        )
    )
    return token


def _verification_mail(language: Language, link: str) -> tuple[str, str]:
    subject = gettext(language, "Confirm your email address for Northbound")
    body = gettext(
        language,
        "Confirm the address of your Northbound account by opening this link:",
    ) + f"\n\n{link}\n\n" + gettext(
        language, "If you did not create an account, you can ignore this message."
    )
    return subject, body


async def sign_up(
    state: AccountsState, raw_email: str, password: str, confirm: str, language: Language
) -> tuple[User | None, dict[str, str]]:
    errors: dict[str, str] = {}
    email = normalise_email(raw_email)
    if email is None:
        errors["email"] = "Enter an email address in the form name@example.com."
    problem = password_problem(password, email or "")
    if problem:
        errors["password"] = problem
    elif password != confirm:
        errors["confirm"] = "The two passwords do not match."
    if errors or email is None:
        return None, errors
    password_hash = await state.hashing.hash(password)
    async with state.db.session() as session:
        try:
            async with session.begin():
                user = User(email=email, password_hash=password_hash, language=language,
                            created_at=state.clock())
                session.add(user)
                await session.flush()
                token = await _one_time_link(
                    state, session, user, VERIFY,
                    timedelta(hours=state.settings.accounts.verification_hours),
                )
                subject, body = _verification_mail(language, _link(state, language, "verify",
                                                                   token))
                queue_mail(session, email, subject, body)
        except IntegrityError:
            return None, {"email": "An account with this email address already exists. "
                                   "Sign in instead, or reset your password."}
    return user, {}


async def sign_in(state: AccountsState, raw_email: str, password: str) -> SignInResult:
    """Check the password; count failures and lock the account after too many in a row."""
    generic = "The email address or password is not right."
    email = normalise_email(raw_email)
    now = state.clock()
    async with state.db.session() as session:
        user = None
        if email is not None:
            user = (await session.execute(select(User).where(User.email == email))
                    ).scalar_one_or_none()
        if user is not None and user.locked_until and aware(user.locked_until) > now:
            minutes = int((aware(user.locked_until) - now).total_seconds() // 60) + 1
            return SignInResult(error="locked", locked_minutes=minutes)
        ok = await state.hashing.verify(user.password_hash if user else None, password)
        if user is None:
            return SignInResult(error=generic)
        settings = state.settings.accounts
        if not ok:
            failures = user.failed_sign_ins + 1
            values: dict[str, object] = {"failed_sign_ins": failures}
            if failures >= settings.max_failed_sign_ins:
                values = {"failed_sign_ins": 0,
                          "locked_until": now + timedelta(minutes=settings.lockout_minutes)}
            await session.execute(update(User).where(User.id == user.id).values(**values))
            await session.commit()
            if "locked_until" in values:
                return SignInResult(error="locked", locked_minutes=settings.lockout_minutes)
            return SignInResult(error=generic)
        values = {"failed_sign_ins": 0, "locked_until": None}
        if state.hashing.needs_rehash(user.password_hash):
            values["password_hash"] = await state.hashing.hash(password)
        await session.execute(update(User).where(User.id == user.id).values(**values))
        await session.commit()
        return SignInResult(user=user)


async def change_password(
    state: AccountsState, user: User, current: str, new: str, confirm: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not await state.hashing.verify(user.password_hash, current):
        errors["current"] = "Your current password is not right."
    problem = password_problem(new, user.email)
    if problem:
        errors["password"] = problem
    elif new != confirm:
        errors["confirm"] = "The two passwords do not match."
    if errors:
        return errors
    new_hash = await state.hashing.hash(new)
    async with state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id)
                              .values(password_hash=new_hash))
    await state.sessions.end_all(user.id)
    return {}


async def _consume(state: AccountsState, token: str, purpose: str) -> int | None:
    """Mark a one-time token used and return its user id (None if unknown, used or expired)."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = state.clock()
    async with state.db.session() as session, session.begin():
        row = (await session.execute(
            select(AccountToken).where(AccountToken.id == digest,
                                       AccountToken.purpose == purpose)
        )).scalar_one_or_none()
        if row is None or row.used_at is not None or aware(row.expires_at) <= now:
            return None
        # Conditional update: two clicks on one link cannot both succeed.
        result = await session.execute(
            update(AccountToken).where(AccountToken.id == digest,
                                       AccountToken.used_at.is_(None)).values(used_at=now)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return row.user_id


async def verify_email(state: AccountsState, token: str) -> bool:
    user_id = await _consume(state, token, VERIFY)
    if user_id is None:
        return False
    async with state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id)
                              .values(email_verified_at=state.clock()))
    return True


async def resend_verification(state: AccountsState, user: User, language: Language) -> None:
    async with state.db.session() as session, session.begin():
        token = await _one_time_link(state, session, user, VERIFY,
                                     timedelta(hours=state.settings.accounts.verification_hours))
        subject, body = _verification_mail(language, _link(state, language, "verify", token))
        queue_mail(session, user.email, subject, body)


async def request_reset(state: AccountsState, raw_email: str, language: Language) -> None:
    """Queue a reset link if the account exists; the page says the same thing either way."""
    email = normalise_email(raw_email)
    if email is None:
        return
    async with state.db.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.email == email))
                ).scalar_one_or_none()
        if user is None:
            return
        token = await _one_time_link(state, session, user, RESET,
                                     timedelta(minutes=state.settings.accounts.reset_minutes))
        link = _link(state, language, "reset", token)
        subject = gettext(language, "Reset your Northbound password")
        body = gettext(language, "To choose a new password, open this link:") + (
            f"\n\n{link}\n\n"
        ) + gettext(language, "If you did not ask for this, you can ignore this message.")
        queue_mail(session, email, subject, body)


async def reset_password(
    state: AccountsState, token: str, new: str, confirm: str
) -> dict[str, str]:
    digest = hashlib.sha256(token.encode()).hexdigest() if token and len(token) <= 100 else ""
    async with state.db.session() as session:
        row = (await session.execute(
            select(AccountToken, User).join(User, User.id == AccountToken.user_id)
            .where(AccountToken.id == digest, AccountToken.purpose == RESET)
        )).one_or_none()
    if row is None or row[0].used_at is not None or aware(row[0].expires_at) <= state.clock():
        return {"token": "This link has expired or was already used. Ask for a new one."}
    user = row[1]
    problem = password_problem(new, user.email)
    if problem:
        return {"password": problem}
    if new != confirm:
        return {"confirm": "The two passwords do not match."}
    if await _consume(state, token, RESET) is None:
        return {"token": "This link has expired or was already used. Ask for a new one."}
    new_hash = await state.hashing.hash(new)
    async with state.db.session() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id).values(
            password_hash=new_hash, failed_sign_ins=0, locked_until=None,
            email_verified_at=user.email_verified_at or state.clock()))
    await state.sessions.end_all(user.id)
    return {}

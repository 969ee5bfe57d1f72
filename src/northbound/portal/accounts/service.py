"""Account operations: sign-up, sign-in with lockout, password change and reset, verification.

Functions return an English message (translated by the page) or raise nothing for bad input:
the routes turn messages into field errors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.accounts.clock import aware
from northbound.portal.accounts.emails import normalise_email
from northbound.portal.accounts.mail import queue_mail
from northbound.portal.accounts.models import AccountToken, SignInLockout, User
from northbound.portal.accounts.passwords import password_problem
from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.state import AccountsState
from northbound.portal.applications.idempotency import (
    KeyReused,
    Recorded,
    fingerprint,
    previous_result,
    remember,
    valid_key,
)
from northbound.settings import Language
from northbound.web.i18n import gettext

VERIFY = "verify"
RESET = "reset"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedUp(Recorded):
    """Kept with a sign-up's key: a second click of "Create account" sends no second mail."""

    user_id: int


@dataclass(frozen=True, slots=True)
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
    body = (
        gettext(
            language,
            "Confirm the address of your Northbound account by opening this link:",
        )
        + f"\n\n{link}\n\n"
        + gettext(language, "If you did not create an account, you can ignore this message.")
    )
    return subject, body


def _address_key(state: AccountsState, address: str) -> str:
    """The lockout row of an address: an HMAC, so the table holds no email addresses."""
    return hmac.new(
        state.secret, b"sign-in|" + address.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


def _already_registered_mail(state: AccountsState, language: Language) -> tuple[str, str]:
    base = state.settings.base_url.rstrip("/")
    subject = gettext(language, "Someone tried to create a Northbound account with your address")
    body = (
        gettext(
            language,
            "Someone asked to create a Northbound account with this email address, which already "
            "has one. If it was you, sign in, or reset your password if you have forgotten it:",
        )
        + f"\n\n{base}{ACCOUNT_PATHS['sign_in'][language]}\n{base}"
        + (f"{ACCOUNT_PATHS['forgot'][language]}\n\n")
        + gettext(language, "If it was not you, you can ignore this message: nothing changed.")
    )
    return subject, body


def _locked_mail(state: AccountsState, language: Language, minutes: int) -> tuple[str, str]:
    base = state.settings.base_url.rstrip("/")
    subject = gettext(language, "Your Northbound account is locked for a while")
    body = (
        gettext(
            language,
            "After several failed attempts to sign in, your account is locked for {minutes} "
            "minutes. If it was not you, choose a new password now:",
        ).format(minutes=minutes)
        + f"\n\n{base}{ACCOUNT_PATHS['forgot'][language]}\n"
    )
    return subject, body


async def sign_up(
    state: AccountsState,
    raw_email: str,
    password: str,
    confirm: str,
    language: Language,
    idempotency_key: str | None = None,
) -> dict[str, str]:
    """Field errors, or ``{}``: the request is accepted, and the answer is the same whether
    the address was new or already had an account (OWASP ASVS: no account enumeration).

    A new address gets its account and a confirmation link; an address that already has an
    account gets a message telling its owner. A resend with the same idempotency key (an
    impatient second click) is recognised and sends nothing more.
    """
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
        return errors
    # Hashed either way: an address with an account must not answer faster.
    password_hash = await state.hashing.hash(password)
    key = idempotency_key if valid_key(idempotency_key) else None
    print_ = fingerprint("sign_up", email)
    try:
        async with state.db.session() as session, session.begin():
            user = User(
                email=email,
                password_hash=password_hash,
                language=language,
                created_at=state.clock(),
            )
            session.add(user)
            await session.flush()
            await _queue_verification(state, session, user, language)
            if key is not None:
                remember(
                    session, user.id, key, "sign_up", print_, SignedUp(user_id=user.id).stored()
                )
        return {}
    except IntegrityError:
        pass  # the address has an account already
    async with state.db.session() as session, session.begin():
        owner = (
            await session.execute(select(User).where(User.email == email))
        ).scalar_one_or_none()
        if owner is None:
            return {}
        if key is not None:
            try:
                if await previous_result(session, owner.id, key, "sign_up", print_) is not None:
                    return {}  # the first click made this account: nothing more to do
            except KeyReused:
                pass
        subject, body = _already_registered_mail(state, language)
        queue_mail(session, email, subject, body)
    return {}


async def sign_in(state: AccountsState, raw_email: str, password: str) -> SignInResult:
    """Check the password; lock the address after too many failures in a row.

    The lockout is kept per address whether or not it has an account, and answered the same
    way, so neither the message nor the status tells who has one. The owner of a real account
    that gets locked is told by email.
    """
    generic = "The email address or password is not right."
    email = normalise_email(raw_email)
    now = state.clock()
    settings = state.settings.accounts
    lockout_id = _address_key(state, email or raw_email.strip().lower()[:320])
    async with state.db.session() as session:
        lock = await session.get(SignInLockout, lockout_id)
        if lock is not None and lock.locked_until and aware(lock.locked_until) > now:
            minutes = int((aware(lock.locked_until) - now).total_seconds() // 60) + 1
            return SignInResult(error="locked", locked_minutes=minutes)
        user = None
        if email is not None:
            user = (
                await session.execute(select(User).where(User.email == email))
            ).scalar_one_or_none()
        ok = await state.hashing.verify(user.password_hash if user else None, password)
        if user is not None and ok:
            if lock is not None:
                await session.delete(lock)
            if state.hashing.needs_rehash(user.password_hash):
                new_hash = await state.hashing.hash(password)
                await session.execute(
                    update(User).where(User.id == user.id).values(password_hash=new_hash)
                )
            await session.commit()
            return SignInResult(user=user)
        # A failure: counted alike for every address. A run of failures older than the
        # lockout itself has gone cold and starts again.
        window = timedelta(minutes=settings.lockout_minutes)
        recent = lock is not None and aware(lock.updated_at) > now - window
        failures = (lock.failures if lock is not None and recent else 0) + 1
        locked = failures >= settings.max_failed_sign_ins
        if lock is None:
            lock = SignInLockout(id=lockout_id)
            session.add(lock)
        lock.failures = 0 if locked else failures
        lock.locked_until = now + window if locked else None
        lock.updated_at = now
        if locked and user is not None:
            owner_language: Language = "fr" if user.language == "fr" else "en"
            subject, body = _locked_mail(state, owner_language, settings.lockout_minutes)
            queue_mail(session, user.email, subject, body)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # a parallel attempt counted first: one count is enough
        if locked:
            return SignInResult(error="locked", locked_minutes=settings.lockout_minutes)
        return SignInResult(error=generic)


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
        await session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
    await state.sessions.end_all(user.id)
    return {}


async def _consume(state: AccountsState, token: str, purpose: str) -> int | None:
    """Mark a one-time token used and return its user id (None if unknown, used or expired)."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = state.clock()
    async with state.db.session() as session, session.begin():
        row = (
            await session.execute(
                select(AccountToken).where(
                    AccountToken.id == digest, AccountToken.purpose == purpose
                )
            )
        ).scalar_one_or_none()
        if row is None or row.used_at is not None or aware(row.expires_at) <= now:
            return None
        # Conditional update: two clicks on one link cannot both succeed.
        result = await session.execute(
            update(AccountToken)
            .where(AccountToken.id == digest, AccountToken.used_at.is_(None))
            .values(used_at=now)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return row.user_id


async def verify_email(state: AccountsState, token: str) -> bool:
    user_id = await _consume(state, token, VERIFY)
    if user_id is None:
        return False
    async with state.db.session() as session, session.begin():
        await session.execute(
            update(User).where(User.id == user_id).values(email_verified_at=state.clock())
        )
    return True


async def resend_verification(state: AccountsState, user: User, language: Language) -> None:
    async with state.db.session() as session, session.begin():
        await _queue_verification(state, session, user, language)


async def _queue_verification(
    state: AccountsState, session: AsyncSession, user: User, language: Language
) -> None:
    """Queue the mail with a fresh confirmation link, in the caller's transaction: on sign-up
    and on a resend alike the link lasts ``verification_hours``."""
    token = await _one_time_link(
        state, session, user, VERIFY, timedelta(hours=state.settings.accounts.verification_hours)
    )
    subject, body = _verification_mail(language, _link(state, language, "verify", token))
    queue_mail(session, user.email, subject, body)


async def request_reset(state: AccountsState, raw_email: str, language: Language) -> None:
    """Queue a reset link if the account exists; the page says the same thing either way."""
    email = normalise_email(raw_email)
    if email is None:
        return
    async with state.db.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
        if user is None:
            return
        token = await _one_time_link(
            state, session, user, RESET, timedelta(minutes=state.settings.accounts.reset_minutes)
        )
        link = _link(state, language, "reset", token)
        subject = gettext(language, "Reset your Northbound password")
        body = (
            gettext(language, "To choose a new password, open this link:")
            + (f"\n\n{link}\n\n")
            + gettext(language, "If you did not ask for this, you can ignore this message.")
        )
        queue_mail(session, email, subject, body)


async def reset_password(
    state: AccountsState, token: str, new: str, confirm: str
) -> dict[str, str]:
    digest = hashlib.sha256(token.encode()).hexdigest() if token and len(token) <= 100 else ""
    async with state.db.session() as session:
        row = (
            await session.execute(
                select(AccountToken, User)
                .join(User, User.id == AccountToken.user_id)
                .where(AccountToken.id == digest, AccountToken.purpose == RESET)
            )
        ).one_or_none()
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
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                password_hash=new_hash, email_verified_at=user.email_verified_at or state.clock()
            )
        )
        # a new password ends any lockout of the address
        await session.execute(
            delete(SignInLockout).where(SignInLockout.id == _address_key(state, user.email))
        )
    await state.sessions.end_all(user.id)
    return {}

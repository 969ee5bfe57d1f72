"""Server-side sessions: the cookie carries a random token, the table keeps its SHA-256.

A stolen database therefore yields no usable cookies, and signing out (or changing the
password) ends a session everywhere at once.

The token is also signed (a random part, then an HMAC of it under the site's secret), so
anything in front of the database can tell a session this site issued from a made-up one
without a lookup: the waiting-room gate lets a signed-in person's form through on that basis,
and a forged cookie costs no database query at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from northbound.portal.accounts.clock import Clock, aware
from northbound.portal.accounts.config import AccountSettings
from northbound.portal.accounts.models import AccountSession, User
from northbound.storage.database import Database

COOKIE_NAME = "nb_session"
# Writing last_seen on every request would turn reads into writes during a surge.
TOUCH_INTERVAL = timedelta(minutes=5)
_SIGNATURE_BYTES = 16
_SIGNATURE_CHARS = 22  # 16 bytes in unpadded URL-safe base64


def _signature(secret: bytes, body: str) -> str:
    mac = hmac.new(secret, b"session|" + body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).decode("ascii").rstrip("=")


def new_token(secret: bytes) -> str:
    body = secrets.token_urlsafe(32)
    return body + _signature(secret, body)


def is_signed(token: str, secret: bytes) -> bool:
    """Whether ``token`` is a session token this site issued (it may since have ended)."""
    if not looks_like_token(token) or len(token) <= _SIGNATURE_CHARS:
        return False
    body, signature = token[:-_SIGNATURE_CHARS], token[-_SIGNATURE_CHARS:]
    return hmac.compare_digest(signature.encode("ascii"), _signature(secret, body).encode())


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    return 20 <= len(value) <= 100 and all(c.isalnum() or c in "-_" for c in value)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    token: str
    user: User


class SessionStore:
    def __init__(
        self,
        db: Database,
        settings: AccountSettings,
        clock: Clock,
        secret: bytes,
        previous: tuple[bytes, ...] = (),
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.secret = secret
        self.previous = previous  # secrets being rotated out: sessions they signed still load

    async def load(self, token: str) -> ActiveSession | None:
        if not any(is_signed(token, key) for key in (self.secret, *self.previous)):
            return None
        now = self.clock()
        digest = token_digest(token)
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(AccountSession, User)
                    .join(User, User.id == AccountSession.user_id)
                    .where(AccountSession.id == digest)
                )
            ).one_or_none()
            if row is None:
                return None
            stored, user = row
            idle_limit = timedelta(minutes=self.settings.session_idle_minutes)
            last_seen = aware(stored.last_seen_at)
            if aware(stored.expires_at) <= now or last_seen + idle_limit <= now:
                await session.execute(delete(AccountSession).where(AccountSession.id == digest))
                await session.commit()
                return None
            if now - last_seen >= TOUCH_INTERVAL:
                await session.execute(
                    update(AccountSession)
                    .where(AccountSession.id == digest)
                    .values(last_seen_at=now)
                )
                await session.commit()
        return ActiveSession(token, user)

    async def start(self, user_id: int, replacing: str | None = None) -> str:
        """A brand-new session id for ``user_id``; any session the browser had is ended.

        Always issuing a fresh id at sign-in is what defeats session fixation: a token an
        attacker planted before sign-in never becomes authenticated.
        """
        token = new_token(self.secret)
        now = self.clock()
        async with self.db.session() as session, session.begin():
            if replacing and looks_like_token(replacing):
                await session.execute(
                    delete(AccountSession).where(AccountSession.id == token_digest(replacing))
                )
            session.add(
                AccountSession(
                    id=token_digest(token),
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=self.settings.session_absolute_hours),
                )
            )
        return token

    async def end(self, token: str) -> None:
        if not looks_like_token(token):
            return
        async with self.db.session() as session, session.begin():
            await session.execute(
                delete(AccountSession).where(AccountSession.id == token_digest(token))
            )

    async def end_all(self, user_id: int) -> None:
        async with self.db.session() as session, session.begin():
            await session.execute(delete(AccountSession).where(AccountSession.user_id == user_id))

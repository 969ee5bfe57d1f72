"""The async database engine and session factory, behind a circuit breaker.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` so a committed
transaction survives a power cut; PostgreSQL keeps its default durability.

Every session runs under a :class:`CircuitBreaker`. A failure that means the database is down
(refused or dropped connection, timeout, server shutting down) counts against the breaker and
reaches the caller as :class:`DatabaseUnavailable`, whichever step raised it: connect, execute
or commit all happen inside the ``session()`` block. A failure caused by the request itself (a
duplicate caught as ``IntegrityError``, say) is not an outage and passes through unchanged.
While the circuit is open, ``session()`` raises :class:`DatabaseUnavailable` at once, without
touching the database.

SQLite's "database is locked" is back-pressure, not an outage: one writer at a time is how
SQLite works, and a burst of sign-ups on one machine makes writers wait (up to the busy
timeout). Such a request leaves as :class:`DatabaseUnavailable` with a short ``retry_after``
(its form is handed back), but the breaker gives it no verdict: opening the circuit for a
lock wait paused every form on the site for everyone (seen in a crowd test, over a thousand
"submissions are paused" answers on a database that was up). For the same reason a slow call
is no verdict on SQLite: a session's time there is the lock queue and whatever the request
awaited inside the block (a password hash), not a sick server.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from northbound.ops.metrics import METRIC_NAMESPACE
from northbound.surge.breaker import BreakerState, CircuitBreaker, CircuitOpenError, breaker_metrics

if TYPE_CHECKING:
    from northbound.settings import Settings

# SQLSTATE classes about the server or the connection, not the statement: 08 connection
# exception, 53 insufficient resources, 57 operator intervention, 58 system error.
OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
# Errors the request causes (bad data, duplicates, a bug in a query) say nothing about health.
REQUEST_ERRORS = (
    sa_exc.IntegrityError,
    sa_exc.DataError,
    sa_exc.ProgrammingError,
    sa_exc.NotSupportedError,
)


class DatabaseUnavailable(ConnectionError):
    """The database is down, unreachable or too slow; try again after ``retry_after`` s.

    A ``ConnectionError`` so that code written to catch ``OSError`` around a database call
    still treats it as an outage.
    """

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(f"database unavailable ({reason}); retry in {retry_after:.0f} s")
        self.reason = reason
        self.retry_after = retry_after


NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
        errno.EHOSTDOWN,
    }
)


def _sqlstate(error: sa_exc.DBAPIError) -> str:
    for source in (error.orig, getattr(error.orig, "__cause__", None)):
        code = getattr(source, "sqlstate", None) or getattr(source, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
BUSY_RETRY_SECONDS = 1.0


def is_busy(error: BaseException) -> bool:
    """True for SQLite's lock timeouts: the database is up, just taken by another writer."""
    if not isinstance(error, sa_exc.OperationalError):
        return False
    message = str(error.orig if error.orig is not None else error).lower()
    return any(words in message for words in SQLITE_BUSY)


def is_outage(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be used, not that the request was wrong."""
    if isinstance(error, DatabaseUnavailable | CircuitOpenError):
        return True
    if isinstance(error, REQUEST_ERRORS) or is_busy(error):
        return False
    if isinstance(
        error,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError
        | sa_exc.DisconnectionError,
    ):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        # No statement: it failed while connecting.
        return (
            error.connection_invalidated
            or error.statement is None
            or _sqlstate(error)[:2] in OUTAGE_SQLSTATE_CLASSES
        )
    # Network failures reaching the server; not any OSError, since a full disk while saving an
    # upload inside a session is not the database's fault.
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return isinstance(error, OSError) and error.errno in NETWORK_ERRNOS


def _judge(error: BaseException) -> bool | None:
    """The breaker's verdict: an outage is a failure; one a nested session already counted
    (it leaves as DatabaseUnavailable) and a lock wait get no verdict."""
    if isinstance(error, DatabaseUnavailable) or is_busy(error):
        return None
    return is_outage(error)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str, connect_timeout: float | None = None) -> AsyncEngine:
    """Build the engine for ``url``, preparing the SQLite file and pragmas when needed."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": 5}}
    else:
        kwargs.update(pool_size=10, max_overflow=10, pool_timeout=5)
        if connect_timeout is not None and parsed.get_driver_name() == "asyncpg":
            # asyncpg waits 60 s by default: far past anyone's patience.
            kwargs["connect_args"] = {"timeout": connect_timeout}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """Owns the engine and its breaker and hands out sessions; one per application."""

    def __init__(
        self,
        url: str,
        *,
        breaker: CircuitBreaker | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, connect_timeout)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.breaker = breaker or CircuitBreaker(
            "database", metrics=breaker_metrics(METRIC_NAMESPACE)
        )
        self.breaker.judge = _judge  # what counts as an outage is this module's call

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        config = settings.database_breaker
        breaker = CircuitBreaker(
            "database",
            failure_threshold=config.failure_threshold,
            reset_timeout=config.reset_seconds,
            # SQLite: a slow session is a lock queue or an await inside it, not a sick server
            slow_call_seconds=None if settings.is_sqlite else config.slow_call_seconds or None,
            metrics=breaker_metrics(METRIC_NAMESPACE),
        )
        return cls(
            settings.effective_database_url,
            breaker=breaker,
            connect_timeout=config.connect_timeout_seconds,
        )

    def raise_if_open(self) -> None:
        """Raise :class:`DatabaseUnavailable` while the circuit is open (no database call).

        For pages that could render without the database but lead to a form that needs it.
        """
        if self.breaker.state is BreakerState.OPEN:
            raise DatabaseUnavailable("circuit open", self.breaker.retry_after)

    @property
    def retry_after(self) -> float:
        """Seconds to suggest to a client refused because of an outage."""
        return self.breaker.retry_after or self.breaker.reset_timeout

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session under the breaker; outages leave the block as DatabaseUnavailable."""
        try:
            async with self.breaker.guard(), self.sessions() as session:
                yield session
        except CircuitOpenError as exc:
            raise DatabaseUnavailable("circuit open", exc.retry_after) from exc
        except DatabaseUnavailable:
            raise
        except Exception as exc:
            if is_busy(exc):
                raise DatabaseUnavailable("database busy", BUSY_RETRY_SECONDS) from exc
            if is_outage(exc):
                raise DatabaseUnavailable(type(exc).__name__, self.retry_after) from exc
            raise

    async def ping(self, within: float | None = None) -> None:
        """Raise :class:`DatabaseUnavailable` unless a trivial query answers ``within`` s."""
        async with self.session() as session, asyncio.timeout(within):
            # The timeout sits inside the session, so a hung database counts as a failure.
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


T = TypeVar("T")


async def with_database(work: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``work(db, *args)`` against the configured database, then release it (for commands)."""
    from northbound.settings import Settings

    db = Database(Settings().effective_database_url)
    try:
        return await work(db, *args)
    finally:
        await db.dispose()

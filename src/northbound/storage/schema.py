"""Never serve a schema that is behind the code: check the migrations at start-up.

A database that was never migrated (or is behind) fails every form with "no such table",
which the circuit breaker would read as an outage: the site would say "submissions are
paused" for ever. The embedded SQLite default is brought up to date on the spot (one
process, nothing to coordinate); any other database is an operator's to migrate, so the site
refuses to start and says which command to run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from northbound.storage import migrate
from northbound.storage.database import is_outage

log = logging.getLogger(__name__)
UPGRADE_COMMAND = "northbound db upgrade"


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this version of the code needs."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    applied: frozenset[str]
    heads: frozenset[str]
    known: bool  # every applied revision is one this code knows (not a newer database)

    @property
    def current(self) -> bool:
        return self.applied == self.heads

    def describe(self) -> str:
        applied = ", ".join(sorted(self.applied)) or "none (never migrated)"
        return f"at revision {applied}; this version needs {', '.join(sorted(self.heads))}"


def _script(url: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config(url))


def _applied(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


async def schema_state(engine: AsyncEngine) -> SchemaState:
    script = _script(engine.url.render_as_string(hide_password=False))
    async with engine.connect() as connection:
        applied = await connection.run_sync(_applied)
    known = True
    for revision in applied:
        try:
            known = known and script.get_revision(revision) is not None
        except CommandError:
            known = False
    return SchemaState(applied, frozenset(script.get_heads()), known)


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def ensure_current(engine: AsyncEngine, *, embedded: bool) -> None:
    """Return when the schema is current; migrate it if ``embedded``; else raise SchemaBehind.

    A database that cannot be reached is not judged: the site starts anyway and degrades
    (information pages serve, forms say they are paused) until it is back.
    """
    url = engine.url.render_as_string(hide_password=False)
    try:
        state = await schema_state(engine)
    except Exception as exc:
        if not (is_outage(exc) or isinstance(exc, OSError | TimeoutError)):
            raise
        log.warning(
            "database unreachable at start-up: schema not checked",
            extra={"error": type(exc).__name__},
        )
        return
    if state.current:
        return
    if embedded and state.known:
        log.info("migrating the embedded database", extra={"schema": state.describe()})
        migrate.upgrade(url)
        return
    raise SchemaBehind(
        f"The database {_where(url)} is {state.describe()}. "
        f"Run `{UPGRADE_COMMAND}` (with the same NORTHBOUND_DATABASE_URL), then start again."
    )

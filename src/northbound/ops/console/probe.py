"""Is the database reachable? Asked beside the circuit breaker, never through it.

The console and the ``northbound_dependency_up`` gauge ask every few seconds. Through the
breaker, those questions would count as failures during an outage and could open the circuit
on their own (or keep it open): an observer must not change what it observes. So the probe
opens a connection on the engine directly, with its own timeout.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from northbound.storage.database import Database

PROBE_TIMEOUT_SECONDS = 2.0


async def database_state(db: Database) -> str:
    """``ok``, or why not (for the console's database line)."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return "unavailable (no answer within 2 s)"
    except Exception as error:  # refused, unknown host, authentication...: a state to show
        return f"unavailable ({type(error).__name__})"
    return "ok"

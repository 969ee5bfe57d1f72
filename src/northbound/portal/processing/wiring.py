"""Plugging the processing-times tool into the app, and keeping its snapshot fresh.

The snapshot is read at start-up and then every ``interval`` seconds in the background: staff
publishing an estimate reach every instance within a minute, a visitor never waits for the
database, and an outage leaves the last estimates on show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from northbound.portal.processing import routes
from northbound.portal.processing.estimates import EstimateBook
from northbound.portal.processing.service import load_book
from northbound.storage.database import Database
from northbound.surge.background import cancel_and_wait
from northbound.surge.breaker import BreakerState
from northbound.web.bilingual import include_pages

log = logging.getLogger(__name__)
REFRESH_SECONDS = 60.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EstimateRefresher:
    def __init__(
        self,
        db: Database,
        book: EstimateBook,
        interval: float = REFRESH_SECONDS,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.db, self.book, self.interval, self.clock = db, book, interval, clock
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> bool:
        # Outside the circuit breaker: a failed background read must not be the failure that
        # opens the circuit for every form (the breaker counts what visitors' requests meet),
        # and while it is open there is nothing to learn from trying.
        if self.db.breaker.state is BreakerState.OPEN:
            return False
        try:
            await load_book(self.db, self.book, self.clock(), breaker=False)
        except Exception as exc:  # the database may be down: keep what we have
            log.warning("processing times refresh failed", extra={"error": type(exc).__name__})
            return False
        return True

    async def start(self) -> None:
        await self.refresh()
        if self.interval > 0:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.refresh()


def install_processing(app: FastAPI, db: Database) -> EstimateRefresher:
    """Routes and the snapshot; the caller's lifespan starts and stops the refresher."""
    book = EstimateBook()
    app.state.processing = book
    include_pages(app, routes.pages)
    app.include_router(routes.api_router)
    return EstimateRefresher(db, book)

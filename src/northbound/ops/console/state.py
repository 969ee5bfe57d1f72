"""What the console keeps per app: its store, its publisher task and its clock."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.requests import Request

from northbound.ops.console.probe import database_state
from northbound.ops.console.publisher import Publisher
from northbound.ops.console.store import ConsoleStore, store_for
from northbound.portal import notices
from northbound.settings import Settings
from northbound.storage.database import Database
from northbound.surge.background import cancel_and_wait


@dataclass
class ConsoleState:
    store: ConsoleStore
    publisher: Publisher
    clock: Callable[[], float] = time.time
    task: asyncio.Task[None] | None = field(default=None)

    @classmethod
    def from_settings(cls, settings: Settings, db: Database) -> ConsoleState:
        store = store_for(settings.redis_url, settings.waiting_room.redis_prefix + ":console")

        async def database_answers() -> bool:
            return await database_state(db) == "ok"

        return cls(store, Publisher(store, database=database_answers))

    async def start(self) -> None:
        await self.publisher.publish_once()  # the console has a first point at once
        self.task = asyncio.create_task(self.publisher.run())

    async def stop(self) -> None:
        task, self.task = self.task, None
        await cancel_and_wait(task)
        await self.store.close()

    async def refresh_notice(self, app: FastAPI) -> None:
        """Show a new banner on this instance at once (the others poll within seconds)."""
        with contextlib.suppress(Exception):  # the poll will catch up if this fails
            notice, updated = await notices.current_notice(app.state.db)
            app.state.content.set_notice(notice, updated)


def console_state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state

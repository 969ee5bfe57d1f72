"""Every few seconds, this instance's snapshot goes to the shared store.

Runs in the app's lifespan, off the request path. A store that is down costs a log line and
a gap in the charts; it never stops the loop or the site.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable

from northbound.ops.console.snapshot import Snapshot, take
from northbound.ops.console.store import ConsoleStore
from northbound.ops.health import exposition

log = logging.getLogger(__name__)
PUBLISH_SECONDS = 5.0


def instance_name() -> str:
    """Host, process and a short random tag: unique per worker and per app (tests run
    several apps in one process), and a restarted instance is a new one, so its counters
    starting again from zero are never mistaken for a drop."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


class Publisher:
    def __init__(self, store: ConsoleStore, *, interval: float = PUBLISH_SECONDS,
                 clock: Callable[[], float] = time.time, name: str | None = None) -> None:
        self.store = store
        self.interval = interval
        self.clock = clock
        self.name = name or instance_name()

    async def snapshot(self) -> Snapshot:
        return take(exposition().decode(), self.name, self.clock(), await self.store.ping())

    async def publish_once(self) -> bool:
        try:
            await self.store.publish(await self.snapshot())
        except Exception as error:  # the store is down: keep serving, try again next time
            log.warning("console snapshot not published", extra={"error": type(error).__name__})
            return False
        return True

    async def run(self) -> None:
        while True:
            await self.publish_once()
            await asyncio.sleep(self.interval)

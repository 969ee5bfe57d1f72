"""Every few seconds, this instance's snapshot goes to the shared store.

Runs in the app's lifespan, off the request path (the figures are read on a worker thread).
A store that is down costs a log line and a gap in the charts; it never stops the loop or the
site.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable

from northbound.ops.console.snapshot import Snapshot, take
from northbound.ops.console.store import ConsoleStore
from northbound.ops.health import exposition
from northbound.ops.metrics import DEPENDENCY_UP

log = logging.getLogger(__name__)
PUBLISH_SECONDS = 5.0


def _multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def instance_name() -> str:
    """One name per instance. With ``--workers`` every worker's /metrics already adds up the
    whole instance, so the instance is named by its shared metrics folder. Otherwise host,
    process and a short random tag: unique per app (tests run several apps in one process),
    and a restarted instance is a new one, so its counters starting again from zero are never
    mistaken for a drop."""
    shared = _multiprocess_dir()
    if shared:
        return f"{socket.gethostname()}:{os.path.basename(shared.rstrip('/'))}"
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


class PublisherLock:
    """With several workers only one publishes the instance's figures (the others would
    publish the same sums again): whoever holds an exclusive lock on a file in the shared
    metrics folder. The lock dies with its holder, and another worker takes over at its next
    beat."""

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, "console-publisher.lock")
        self._fd: int | None = None

    def held(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True


DatabaseProbe = Callable[[], Awaitable[bool]]


class Publisher:
    """Publishes snapshots; also sets ``northbound_dependency_up`` for the alert rules, since
    it checks the database and Redis on the same beat anyway."""

    def __init__(
        self,
        store: ConsoleStore,
        *,
        database: DatabaseProbe | None = None,
        interval: float = PUBLISH_SECONDS,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
    ) -> None:
        self.store = store
        self.database = database
        self.interval = interval
        self.clock = clock
        self.name = name or instance_name()
        self.lock = PublisherLock(_multiprocess_dir()) if _multiprocess_dir() else None

    async def snapshot(self) -> Snapshot:
        redis = await self.store.ping()
        if redis != "not used":
            DEPENDENCY_UP.labels("redis").set(1 if redis == "ok" else 0)
        if self.database is not None:
            DEPENDENCY_UP.labels("database").set(1 if await self.database() else 0)
        # Rendering every metric and reading it back took 62 ms a time on the event loop in
        # the lab's surge (about 60 routes' latency histograms): every request in flight
        # stalled for it every few seconds. A worker thread does it while the loop serves.
        return await asyncio.to_thread(self._take, redis)

    def _take(self, redis: str) -> Snapshot:
        return take(exposition().decode(), self.name, self.clock(), redis)

    async def publish_once(self) -> bool:
        if self.lock is not None and not self.lock.held():
            return False  # another worker of this instance publishes
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

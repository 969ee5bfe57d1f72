"""Faults during a surge: what is broken, how it is repaired, and what was measured.

``bench/faults.py`` runs the surge lab (``northbound lab run``) through nginx against a
``LocalCluster`` and, in the middle of each run, one fault:

* ``none``: the control run, nothing broken;
* ``kill-instance``: ``kill -9`` of one instance, started again 5 s later;
* ``restart-redis``: Redis stopped (it writes its append-only file) and started again;
* ``restart-postgres``: PostgreSQL stopped in immediate mode (a crash: no checkpoint) and
  started again.

Per fault it reports what the issue's acceptance asks for: 5xx at nginx other than the
designed 503/429 (target 0), acknowledged submissions lost (0, from the lab's audit of the
database), the line kept (positions and the serving number never went back, so no place was
handed out twice; nobody let in ahead of an earlier place, from the lab) and time to recover.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from northbound.ops.cluster.local import LocalCluster

DESIGNED = frozenset({"429", "503"})
RESTART_AFTER_SECONDS = 5.0


@dataclass
class LogTally:
    """nginx's answers in a run, from its access log (see the template's log format)."""

    statuses: Counter[str] = field(default_factory=Counter)
    busy_pages: int = 0  # nginx's own 503 page: no instance could answer
    cached_while_failing: int = 0  # stale copies served while an instance failed

    @property
    def failures(self) -> int:
        """5xx other than the designed 503 (500, 502, 504 ...)."""
        return sum(n for s, n in self.statuses.items() if s.startswith("5") and s not in DESIGNED)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


def tally(lines: list[str]) -> LogTally:
    """Count the statuses of access-log lines ``time status upstream_status addr ...``."""
    result = LogTally()
    for line in lines:
        parts = line.split()
        if len(parts) < 8:
            continue
        status, upstream, cache = parts[1], parts[2], parts[-1]
        result.statuses[status] += 1
        if status == "503" and not upstream.rstrip(",").endswith("503"):
            result.busy_pages += 1
        if cache == "STALE":
            result.cached_while_failing += 1
    return result


@dataclass
class LineWatch:
    """Polls the shared line (Redis) during a run: its counters must never go back."""

    samples: int = 0
    unreadable: int = 0
    went_back: list[str] = field(default_factory=list)
    last_position: int = 0
    serving: int = 0
    first_position: int | None = None


async def watch_line(cluster: LocalCluster, stop: asyncio.Event, watch: LineWatch) -> None:
    """Read the room's state every 0.5 s with the instances' own settings and code."""
    from northbound.settings import Settings
    from northbound.surge.waiting_room import WaitingRoom

    env = cluster.environment()
    settings = Settings(
        redis_url=cluster.redis_url,
        secret_key=env["NORTHBOUND_SECRET_KEY"],
        data_dir=Path(env["NORTHBOUND_DATA_DIR"]),
    )
    room = WaitingRoom.from_settings(
        settings.waiting_room,
        site_secret=settings.secret_key.get_secret_value(),
        redis_url=cluster.redis_url,
    )
    try:
        while not stop.is_set():
            try:
                state = await room.refresh()
            except Exception:  # Redis is down: that is the fault, not a failure
                watch.unreadable += 1
            else:
                watch.samples += 1
                if watch.first_position is None:
                    watch.first_position = state.tail
                if state.tail < watch.last_position:
                    watch.went_back.append(f"position {watch.last_position} -> {state.tail}")
                if state.serving < watch.serving:
                    watch.went_back.append(f"serving {watch.serving} -> {state.serving}")
                watch.last_position = max(watch.last_position, state.tail)
                watch.serving = max(watch.serving, state.serving)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
    finally:
        await room.store.close()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for(check: Callable[[], bool], timeout: float = 60.0) -> float:
    """Seconds until ``check`` holds (polled every 0.1 s); raises after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the cluster did not recover")
        time.sleep(0.1)
    return time.monotonic() - started


def all_ready(cluster: LocalCluster) -> bool:
    return all(answers(f"{m.url}/readyz") for m in cluster.members)


@dataclass
class FaultResult:
    name: str
    started_at: float = 0.0  # seconds after the lab run started
    down_seconds: float = 0.0
    recover_seconds: float = 0.0
    note: str = ""


def kill_instance(cluster: LocalCluster, result: FaultResult) -> None:
    victim = cluster.members[0]
    began = time.monotonic()
    victim.kill()
    time.sleep(RESTART_AFTER_SECONDS)
    victim.start()  # waits for /healthz
    result.down_seconds = time.monotonic() - began
    wait_for(lambda: answers(f"{victim.url}/readyz"))
    result.recover_seconds = time.monotonic() - began
    result.note = f"instance 1 killed with SIGKILL, back after {RESTART_AFTER_SECONDS:g} s"


def restart_redis(cluster: LocalCluster, result: FaultResult) -> None:
    assert cluster.redis is not None, "the fault needs the cluster's own Redis"
    began = time.monotonic()
    cluster.redis.restart()
    result.down_seconds = time.monotonic() - began

    def admitting() -> bool:  # every instance can reach Redis and read the line again
        return all(answers(f"{m.url}/readyz") for m in cluster.members) and _redis_ok(cluster)

    wait_for(admitting)
    result.recover_seconds = time.monotonic() - began
    result.note = "SIGTERM (append-only file written), started again at once"


def _redis_ok(cluster: LocalCluster) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(cluster.redis_url, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def restart_postgres(cluster: LocalCluster, result: FaultResult) -> None:
    assert cluster.postgres is not None, "the fault needs the cluster's own PostgreSQL"
    began = time.monotonic()
    cluster.postgres.restart()
    result.down_seconds = time.monotonic() - began
    wait_for(lambda: all_ready(cluster), timeout=90)
    result.recover_seconds = time.monotonic() - began
    result.note = "immediate stop (crash, no checkpoint), started again at once"


def no_fault(cluster: LocalCluster, result: FaultResult) -> None:
    """The control run: the same surge with nothing broken, to tell what the faults cause."""
    result.note = "nothing broken (control)"


FAULTS: dict[str, Callable[[LocalCluster, FaultResult], None]] = {
    "none": no_fault,
    "kill-instance": kill_instance,
    "restart-redis": restart_redis,
    "restart-postgres": restart_postgres,
}


def table(rows: list[dict[str, object]]) -> str:
    from northbound.ops.table import render_table

    header = [
        "fault",
        "requests at nginx",
        "5xx not 503",
        "503 (busy/shed)",
        "429",
        "acknowledged",
        "lost",
        "line kept",
        "out of order",
        "down s",
        "recover s",
    ]
    return render_table(header, [[row[h] for h in header] for row in rows])

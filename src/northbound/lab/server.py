"""Servers the lab starts itself: a process pinned to one core, up before it is used and
stopped however the run ends.

On a machine with two cores or more the server goes on CPU 0 and the generator on CPU 1
(``pin``), so neither steals the other's time and a generator that runs out of its core is
seen as such (``taskset``, or nothing where there is no second core).
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"
SERVER_CPU, GENERATOR_CPU = 0, 1


def two_cores() -> bool:
    return (os.cpu_count() or 1) >= 2


def pin(cpu: int) -> list[str]:
    """A command prefix that keeps a process on ``cpu`` (empty on one core)."""
    if two_cores() and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)]
    return []


def pin_self(cpu: int) -> None:
    """Keep this process (the generator) on ``cpu``."""
    if two_cores() and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def raise_fd_limit() -> None:
    """Allow as many open sockets as the system lets this process have: a crowd of people
    with a few connections each needs thousands (the usual soft limit is 1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_up(
    url: str, timeout: float = 60, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up in {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """How busy the site's processes were, second by second: the share of one core they used
    (summed over ``pids``, so a proxy in front counts too). Read by the crowd's watcher a few
    times a second; what tells "the room kept people out of an idle site" apart from "the
    site was full" in a report."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = tuple(pids)
        self.shares: dict[int, float] = {}  # second of the run -> share of one core
        self._last: tuple[float, float] | None = None  # (time, CPU seconds) of the last read

    def sample(self, now: float) -> None:
        """Read the processes' CPU time at run time ``now``; once a second has passed since
        the last read, the share over it is credited to every whole second it began in (one,
        unless the watcher was late: then the seconds it missed get the same share)."""
        if not self.pids or (self._last is not None and now - self._last[0] < 1.0):
            return  # nothing to watch, or nothing to credit yet: /proc is not read
        used = sum(cpu_seconds(pid) for pid in self.pids)
        if self._last is not None:
            then, before = self._last
            share = round((used - before) / (now - then), 3)
            for second in range(int(then), int(now)):
                self.shares[second] = share
        self._last = (now, used)


class Server:
    """One server process on ``cpu``, stopped on exit (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        command: Sequence[str],
        health_url: str,
        env: dict[str, str],
        cwd: Path | None = None,
        cpu: int = SERVER_CPU,
        log: Path | None = None,
    ) -> None:
        self.health_url = health_url
        output = log.open("ab") if log is not None else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [*pin(cpu), *command], env=env, cwd=cwd, stdout=output, stderr=output
            )
        finally:  # the child writes to its own copy of the log's descriptor
            if not isinstance(output, int):
                output.close()
        try:
            wait_until_up(health_url, process=self.process)
        except BaseException:
            self.stop()
            raise

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

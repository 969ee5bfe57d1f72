"""A private PostgreSQL cluster and Redis server for the local cluster and its fault tests.

Private because the faults stop and restart them: the machine's own servers on 5432/6379 serve
other people's tests and are never touched. Redis keeps an append-only file (fsync every
write): the waiting room's counters are the line's order, and a Redis that forgot them on a
restart would hand out places twice.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from northbound.lab.server import free_port


class EngineMissing(RuntimeError):
    """The PostgreSQL or Redis server programs are not installed."""


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f} s")


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        candidate = version / "bin" / name
        if candidate.exists():
            return str(candidate)
    raise EngineMissing(f"PostgreSQL's {name} is not installed: apt-get install postgresql")


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` account then."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PrivatePostgres:
    """``initdb`` once under ``folder``, then start/stop/restart on a port of its own."""

    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/northbound"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *_as_postgres_user(),
                _postgres_bin("pg_ctl"),
                "-D",
                str(self.folder / "pgdata"),
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        if not (self.folder / "pgdata" / "PG_VERSION").exists():
            subprocess.run(
                [
                    *_as_postgres_user(),
                    _postgres_bin("initdb"),
                    "-D",
                    str(self.folder / "pgdata"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ],
                capture_output=True,
                text=True,
                check=True,
            )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=on"
        )
        result = self._pg_ctl(
            "-o", options, "-l", str(self.folder / "postgres.log"), "-w", "-t", "30", "start"
        )
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}")
        _wait_port(self.port, 30)

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "-t", "30", "stop")

    def remove(self) -> None:
        """Delete the cluster's files (after ``stop``)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self) -> None:
        """A crash-like restart: immediate stop (no checkpoint), then start."""
        self.stop("immediate")
        self.start()

    def create_database(self) -> None:
        subprocess.run(
            [
                *_as_postgres_user(),
                _postgres_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "northbound",
            ],
            capture_output=True,
            text=True,
            check=False,
        )


@dataclass
class PrivateRedis:
    """One ``redis-server`` with an append-only file, restartable without losing the line."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise EngineMissing("redis-server is not installed: apt-get install redis-server")
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "redis.out").open("ab") as log:  # the child keeps its copy
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.folder),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--save",
                    "",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=log,
            )
        _wait_port(self.port, 15)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # Redis finishes its append-only file
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

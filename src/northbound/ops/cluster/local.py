"""``LocalCluster``: nginx + N ``northbound serve`` instances + PostgreSQL + Redis, one machine.

Every process it starts it also stops (by its own handle, never by name), whatever way the
run ends. The instances are configured the way the runbook tells operators to: one explicit
secret, shared Redis and PostgreSQL, client addresses taken from nginx's X-Forwarded-For.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from northbound import keys
from northbound.lab.server import SERVER_CPU, Server, free_port
from northbound.ops.cluster.engines import PrivatePostgres, PrivateRedis
from northbound.ops.cluster.nginx import Nginx, render, write_config

NORTHBOUND = str(Path(sys.executable).with_name("northbound"))


@dataclass
class Instance:
    """One ``northbound serve`` process and how to start it again after a kill."""

    number: int
    port: int
    env: dict[str, str]
    log: Path
    server: Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = Server(
            [NORTHBOUND, "serve", "--port", str(self.port)],
            f"{self.url}/healthz",
            self.env,
            cpu=SERVER_CPU,
            log=self.log,
        )

    def kill(self) -> None:
        """``kill -9``: no graceful shutdown, requests in flight are cut."""
        if self.server is not None and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait(10)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def alive(self) -> bool:
        return self.server is not None and self.server.process.poll() is None


@dataclass
class LocalCluster:
    """The whole shape under ``folder``; ``database_url``/``redis_url`` reuse running servers."""

    folder: Path
    instances: int = 3
    port: int = field(default_factory=free_port)
    database_url: str = ""
    redis_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    postgres: PrivatePostgres | None = None
    redis: PrivateRedis | None = None
    members: list[Instance] = field(default_factory=list)
    nginx: Nginx | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        secret_file = self.folder / "cluster-secret"
        if not secret_file.exists():  # one secret for every instance, kept across restarts
            secret_file.write_text(keys.generate_secret())
            secret_file.chmod(0o600)
        env = {
            **os.environ,
            "NORTHBOUND_DATABASE_URL": self.database_url,
            "NORTHBOUND_REDIS_URL": self.redis_url,
            "NORTHBOUND_SECRET_KEY": secret_file.read_text().strip(),
            "NORTHBOUND_DATA_DIR": str(self.folder / "data"),
            "NORTHBOUND_BASE_URL": self.url,
            "NORTHBOUND_RATE_LIMIT__TRUSTED_PROXY_HEADER": "x-forwarded-for",
            "NORTHBOUND_RATE_LIMIT__TRUSTED_PROXIES": '["127.0.0.1/32"]',
            "NORTHBOUND_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return env

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            # Its own temporary folder: as root, PostgreSQL runs as the postgres account,
            # which must be able to reach its files (a private temp dir would hide them).
            self.postgres = PrivatePostgres(Path(tempfile.mkdtemp(prefix="northbound-pg-")))
            self.postgres.init()
            self.postgres.start()
            self.postgres.create_database()
            self.database_url = self.postgres.url
        if not self.redis_url:
            self.redis = PrivateRedis(self.folder / "redis")
            self.redis.start()
            self.redis_url = self.redis.url
        env = self.environment()
        subprocess.run([NORTHBOUND, "db", "upgrade"], env=env, check=True, capture_output=True)
        for number in range(self.instances):
            member = Instance(
                number + 1, free_port(), env, self.folder / f"instance-{number + 1}.log"
            )
            member.start()
            self.members.append(member)
        prefix = self.folder / "nginx"
        config = write_config(
            render(f"127.0.0.1:{self.port}", [f"127.0.0.1:{m.port}" for m in self.members], prefix),
            prefix,
        )
        self.nginx = Nginx(config, f"{self.url}/nginx-healthz")
        self.nginx.start()

    def stop(self) -> None:
        """Front to back: nginx stops taking requests, instances finish theirs, engines last."""
        steps = [
            self.nginx.stop if self.nginx else None,
            *[member.stop for member in self.members],
            self.redis.stop if self.redis else None,
            self.postgres.stop if self.postgres else None,
            self.postgres.remove if self.postgres else None,
        ]
        errors: list[BaseException] = []
        for step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception as error:  # keep stopping the rest
                errors.append(error)
        if errors:
            raise errors[0]

    def __enter__(self) -> LocalCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

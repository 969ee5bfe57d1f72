"""The sites ``lab compare`` starts and floods, each with fresh data.

- ``protected``: ``northbound serve`` with its defaults (waiting room, admission control,
  rate limits);
- ``unprotected``: ``northbound serve --unprotected``, the 2016 baseline;
- ``uvicorn-limit``: the unprotected app under ``uvicorn --limit-concurrency N`` (uvicorn
  answers 503 past N connections or tasks);
- ``nginx-limit``: Debian's nginx in front of the unprotected site, with a site-wide
  ``limit_req`` at the measured capacity (burst: one second of it) and ``limit_conn`` N, both
  answering 503; plus a per-address ``limit_req`` an operator would also set.

The last two are what an operations team would reach for instead of Northbound's defence;
they are tuned to the unprotected site's measured capacity X (useful answers per second):
``N = max(16, ceil(X x 1 s))`` requests in flight, one second's worth of capacity, which is
what the server can turn round before a person's patience with a slow page starts to run.
"""

from __future__ import annotations

import getpass
import math
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .server import HOST, Server, free_port

CONTENDERS = ("protected", "unprotected", "uvicorn-limit", "nginx-limit")
NEEDS_TUNING = ("uvicorn-limit", "nginx-limit")


@dataclass(frozen=True, slots=True)
class Tuning:
    capacity_rps: float

    @property
    def concurrency(self) -> int:
        return max(16, math.ceil(self.capacity_rps * 1.0))


@dataclass(frozen=True, slots=True)
class Site:
    url: str
    database_url: str
    server_pids: tuple[int, ...]


def nginx_binary() -> str | None:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).exists() else None


def check_available(names: list[str]) -> None:
    """Refuse, before anything starts, contenders this machine cannot run."""
    unknown = [n for n in names if n not in CONTENDERS]
    if unknown:
        raise ValueError(f"unknown contenders {unknown}: choose from {', '.join(CONTENDERS)}")
    if "nginx-limit" in names and nginx_binary() is None:
        raise ValueError("nginx-limit needs Debian's nginx (apt-get install nginx)")


def _site_env(work: Path, port: int, protected: bool) -> dict[str, str]:
    return {
        **os.environ,
        "NORTHBOUND_DATA_DIR": str(work / "data"),
        "NORTHBOUND_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'data' / 'northbound.db'}",
        "NORTHBOUND_SECRET_KEY": secrets.token_urlsafe(32),
        "NORTHBOUND_LOG_LEVEL": "WARNING",
        "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
        "NORTHBOUND_BASE_URL": f"http://{HOST}:{port}",
        "NORTHBOUND_PROTECTED": "true" if protected else "false",
        # the room's view of the run, tick by tick, beside the crowd's (compare.py)
        "NORTHBOUND_WAITING_ROOM__TICK_JOURNAL": str(work / "room-ticks.jsonl"),
    }


def _northbound(*args: str) -> list[str]:
    return [sys.executable, "-m", "northbound.cli", *args]


def nginx_config(prefix: Path, listen: int, upstream: int, tuning: Tuning) -> str:
    rate = max(1, round(tuning.capacity_rps))
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  {temp}
  limit_req_zone $server_name zone=site:1m rate={rate}r/s;
  limit_req_zone $binary_remote_addr zone=per_address:10m rate=20r/s;
  limit_conn_zone $server_name zone=site_conn:1m;
  limit_req_status 503;
  limit_conn_status 503;
  upstream northbound {{ server {HOST}:{upstream}; keepalive 64; }}
  server {{
    listen {HOST}:{listen} backlog=1024;
    client_max_body_size 12m;
    location / {{
      limit_req zone=site burst={rate};
      limit_req zone=per_address burst=100 nodelay;
      limit_conn site_conn {tuning.concurrency};
      proxy_pass http://northbound;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # uvicorn takes the client address from this header when it comes from 127.0.0.1, so
      # the site's per-address sign-in throttle sees people, not the proxy
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 60s;
    }}
  }}
}}
"""


def fresh_data(template: Path) -> Path:
    """A migrated, empty database under ``template`` to copy for each instance: one
    migration per comparison instead of one per server start."""
    env = _site_env(template, free_port(), protected=True)
    subprocess.run(_northbound("db", "upgrade"), env=env, check=True, capture_output=True)
    return template / "data"


@contextmanager
def start(
    name: str, work: Path, tuning: Tuning | None = None, template: Path | None = None
) -> Iterator[Site]:
    """Start contender ``name`` with fresh data under ``work`` (a copy of ``template``, the
    data folder :func:`fresh_data` made, or migrated here); stop it on exit."""
    if name not in CONTENDERS:
        raise ValueError(f"unknown contender {name!r}: choose from {', '.join(CONTENDERS)}")
    if name in NEEDS_TUNING and tuning is None:
        raise ValueError(f"{name} is tuned to the unprotected site's capacity: measure it first")
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    front = free_port() if name == "nginx-limit" else port
    env = _site_env(work, front, protected=name == "protected")
    if template is not None:
        shutil.copytree(template, work / "data")
    else:
        subprocess.run(_northbound("db", "upgrade"), env=env, check=True, capture_output=True)
    log = work / "server.log"
    with ExitStack() as stack:
        if name in ("protected", "unprotected"):
            command = _northbound("serve", "--port", str(port))
        else:
            assert tuning is not None
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "northbound.app:app_from_environment",
                "--factory",
                "--host",
                HOST,
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--backlog",
                "1024",
            ]
            if name == "uvicorn-limit":
                command += ["--limit-concurrency", str(tuning.concurrency)]
        site = stack.enter_context(
            Server(command, f"http://{HOST}:{port}/healthz", env, cwd=work, log=log)
        )
        pids = [site.process.pid]
        if name == "nginx-limit":
            assert tuning is not None
            binary = nginx_binary()
            if binary is None:
                raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
            prefix = work / "nginx"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                (prefix / kind).mkdir(parents=True, exist_ok=True)
            config = prefix / "nginx.conf"
            config.write_text(nginx_config(prefix, front, port, tuning))
            proxy = stack.enter_context(
                Server(
                    [binary, "-p", str(prefix), "-c", str(config)],
                    f"http://{HOST}:{front}/healthz",
                    env,
                    cwd=work,
                    log=log,
                )
            )
            pids.append(proxy.process.pid)
        yield Site(f"http://{HOST}:{front}", env["NORTHBOUND_DATABASE_URL"], tuple(pids))

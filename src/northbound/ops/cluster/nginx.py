"""nginx in front of the instances: the shipped template filled in, checked, run privately."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from northbound.lab.server import wait_until_up

# The template lives with the other deployment files (deploy/nginx/) of a source checkout,
# where `northbound cluster` is used; NORTHBOUND_NGINX_TEMPLATE points elsewhere.
TEMPLATE = Path(
    os.environ.get(
        "NORTHBOUND_NGINX_TEMPLATE",
        Path(__file__).resolve().parents[4] / "deploy" / "nginx" / "nginx.conf.template",
    )
)
MIME_TYPES = Path("/etc/nginx/mime.types")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class NginxMissing(RuntimeError):
    """Debian's nginx is not installed (apt-get install nginx)."""


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise NginxMissing("nginx is not installed: apt-get install nginx")
    return found


def render(
    listen: str,
    upstreams: Sequence[str],
    prefix: Path,
    *,
    daemon: bool = False,
    worker_processes: int = 1,
    user: str | None = None,
    template: Path = TEMPLATE,
) -> str:
    """The configuration for ``upstreams`` (``host:port`` each), state kept under ``prefix``.

    The workers run as ``user`` (default: whoever runs this), so they can write the cache
    and temporary files under ``prefix`` wherever it is; a system-wide install names its
    own unprivileged account (Debian: www-data).
    """
    if not upstreams:
        raise ValueError("nginx needs at least one instance to send requests to")
    if not template.is_file():
        raise ValueError(
            f"no nginx template at {template}: run from a source checkout "
            "(deploy/nginx/nginx.conf.template) or set NORTHBOUND_NGINX_TEMPLATE"
        )
    servers = "\n".join(
        # max_fails=1: one refused connection is enough to skip a dead instance for 3 s.
        f"        server {address} max_fails=1 fail_timeout=3s;"
        for address in upstreams
    )
    values = {
        "daemon": "on" if daemon else "off",
        "user": user or pwd.getpwuid(os.geteuid()).pw_name,
        "worker_processes": str(worker_processes),
        "prefix": str(prefix),
        "mime_types": str(MIME_TYPES),
        "upstream_servers": servers,
        "listen": listen,
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"{template}: unknown placeholder {{{{{name}}}}}")
        return values[name]

    # {{name}}, not $name: nginx's own variables are spelled with a dollar.
    return PLACEHOLDER.sub(fill, template.read_text())


def write_config(text: str, prefix: Path) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cache"):
        (prefix / folder).mkdir(exist_ok=True)

    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


def check(config: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``config``; the result carries nginx's own words."""
    return subprocess.run(
        [nginx_binary(), "-t", "-q", "-p", str(config.parent), "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass
class Nginx:
    """One nginx master in the foreground of its own process group, stopped gracefully."""

    config: Path
    health_url: str
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        result = check(self.config)
        if result.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration: {result.stderr.strip()}")
        with (self.config.parent / "nginx.out").open("ab") as log:  # the child keeps its copy
            self.process = subprocess.Popen(
                [nginx_binary(), "-p", str(self.config.parent), "-c", str(self.config)],
                stdout=log,
                stderr=log,
            )
        wait_until_up(self.health_url, timeout=15, process=self.process)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

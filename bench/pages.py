"""Benchmark: an information page served by Northbound vs a raw ASGI app with the same bytes.

Both run under the same server (uvicorn, one worker, pinned to CPU 0 when two cores exist) and
are driven by the same closed-loop generator (wrk, pinned to CPU 1) for the same time. Rounds
alternate between the two so drift on a shared machine hits both alike; the figure is the
median of the rounds. Target: page rps >= 0.7 x raw rps.

    .venv/bin/python bench/pages.py [--seconds 8] [--rounds 3] [--path /en/express-entry]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from northbound.lab.server import free_port, pin, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def start_server(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        *pin(0),
        PYTHON,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "4096",
    ]
    if target.endswith("app_from_environment"):
        command.append("--factory")
    return subprocess.Popen(command, env=env, cwd=ROOT)


def wrk(
    url: str,
    seconds: int,
    connections: int,
    options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> float:
    """Requests per second (every answer must be 2xx or 3xx); ``options``: more wrk flags
    (a Lua script), ``env``: the environment the script reads."""
    command = [*pin(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    output = subprocess.run(
        [*command, *options, url], capture_output=True, text=True, check=True, env=env
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        raise RuntimeError(f"could not read wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} error responses from {url}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--path", default="/en/express-entry")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="nb-bench-pages-"))
    env = {
        **os.environ,
        "NORTHBOUND_DATA_DIR": str(work / "data"),
        "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
        "NORTHBOUND_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [PYTHON, "-m", "northbound.cli", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    site_port, raw_port = free_port(), free_port()
    site = start_server("northbound.app:app_from_environment", site_port, env)
    raw = None
    try:
        wait_until_up(f"http://127.0.0.1:{site_port}/healthz")
        with urllib.request.urlopen(f"http://127.0.0.1:{site_port}{args.path}") as response:
            body = response.read()
            headers = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("date", "server", "x-request-id", "connection")
            ]
        (work / "body.html").write_bytes(body)
        (work / "body.headers.json").write_text(json.dumps(headers))
        raw_env = {
            **env,
            "NORTHBOUND_BENCH_BODY": str(work / "body.html"),
            "PYTHONPATH": str(ROOT / "bench"),
        }
        raw = start_server("raw_asgi:app", raw_port, raw_env)
        wait_until_up(f"http://127.0.0.1:{raw_port}/")
        site_url = f"http://127.0.0.1:{site_port}{args.path}"
        raw_url = f"http://127.0.0.1:{raw_port}/"
        wrk(site_url, 2, args.connections)  # warm up both
        wrk(raw_url, 2, args.connections)
        site_rps: list[float] = []
        raw_rps: list[float] = []
        for round_number in range(1, args.rounds + 1):
            site_rps.append(wrk(site_url, args.seconds, args.connections))
            raw_rps.append(wrk(raw_url, args.seconds, args.connections))
            print(
                f"round {round_number}: page {site_rps[-1]:9.0f} rps   raw ASGI "
                f"{raw_rps[-1]:9.0f} rps   ratio {site_rps[-1] / raw_rps[-1]:.2f}"
            )
    finally:
        for process in (site, raw):
            if process:
                process.terminate()
                process.wait(10)
    page, baseline = statistics.median(site_rps), statistics.median(raw_rps)
    ratios = [s / r for s, r in zip(site_rps, raw_rps, strict=True)]
    print(
        f"\npage {args.path} ({len(body)} bytes, identity encoding), uvicorn 1 worker, "
        f"wrk -c{args.connections}, {args.rounds} x {args.seconds}s"
    )
    print(f"median page     {page:9.0f} req/s")
    print(f"median raw ASGI {baseline:9.0f} req/s")
    print(f"ratio (median of rounds) {statistics.median(ratios):.2f}   target >= 0.70")


if __name__ == "__main__":
    main()

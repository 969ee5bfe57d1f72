"""Benchmark: what the surge defence costs a dynamic page and the CRS API, protected vs not.

Two servers of the same site run side by side under the same server settings (uvicorn, one
worker, pinned to CPU 0 when two cores exist): one with the defence on (rate limits, the
waiting room in its default automatic mode, admission control) and one started as
``--unprotected``. wrk (pinned to CPU 1, ``--connections`` connections, one thread) drives
each in alternating rounds, so drift on a shared machine hits both alike; the figure for
each path is the ratio of the medians. Every request comes from a different client address
(a random ``X-Forwarded-For``, which both sites are told to trust), as in a crowd: per-client
rate limits then cost what they cost on the night, one bucket per person, and refuse nobody.

Paths: ``GET /en/eligibility/crs-calculator`` (a page rendered from a template on every
request) and ``POST /api/v1/eligibility/crs`` (JSON in, a score computed, JSON out).
Target: protected / unprotected >= 0.95 on both.

    .venv/bin/python bench/capacity.py [--seconds 8] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from crs import PAYLOADS
from northbound.lab.server import free_port, wait_until_up
from pages import PYTHON, start_server, wrk

TARGET = 0.95
# Each request from its own address; the body and method come from the command line.
_LUA = """
wrk.method = os.getenv("NB_METHOD")
local body = os.getenv("NB_BODY")
if body ~= "" then wrk.body = body end
request = function()
  local address = math.random(1, 223) .. "." .. math.random(0, 255) .. "." ..
    math.random(0, 255) .. "." .. math.random(1, 254)
  local headers = {["X-Forwarded-For"] = address}
  if body ~= "" then headers["Content-Type"] = "application/json" end
  return wrk.format(nil, nil, headers)  -- these headers replace wrk.headers
end
"""


def crowd(url: str, seconds: int, connections: int, method: str, body: str, script: Path) -> float:
    """wrk through the crowd script: ``method`` with ``body``, each from its own address."""
    env = {**os.environ, "NB_METHOD": method, "NB_BODY": body}
    return wrk(url, seconds, connections, ["-s", str(script)], env)


def site(work: Path, name: str, protected: bool) -> tuple[subprocess.Popen[bytes], int]:
    env = {
        **os.environ,
        "NORTHBOUND_DATA_DIR": str(work / name),
        "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
        "NORTHBOUND_LOG_LEVEL": "WARNING",
        "NORTHBOUND_PROTECTED": "true" if protected else "false",
        "NORTHBOUND_RATE_LIMIT__TRUSTED_PROXY_HEADER": "x-forwarded-for",
    }
    subprocess.run(
        [PYTHON, "-m", "northbound.cli", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    port = free_port()
    return start_server("northbound.app:app_from_environment", port, env), port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="nb-bench-capacity-"))
    script = work / "crowd.lua"
    script.write_text(_LUA)
    paths = [
        ("dynamic page", "GET", "/en/eligibility/crs-calculator", ""),
        ("CRS API", "POST", "/api/v1/eligibility/crs", json.dumps(PAYLOADS[1])),
    ]
    servers = [site(work, "protected", True), site(work, "unprotected", False)]
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for _, port in servers:
            wait_until_up(f"http://127.0.0.1:{port}/healthz")
        for label, method, path, body in paths:
            rounds = results[label] = {"protected": [], "unprotected": []}
            for _, port in servers:  # warm up both
                crowd(f"http://127.0.0.1:{port}{path}", 2, args.connections, method, body, script)
            for number in range(1, args.rounds + 1):
                for name, (_, port) in zip(rounds, servers, strict=True):
                    url = f"http://127.0.0.1:{port}{path}"
                    rounds[name].append(
                        crowd(url, args.seconds, args.connections, method, body, script)
                    )
                p, u = rounds["protected"][-1], rounds["unprotected"][-1]
                print(
                    f"{label} round {number}: protected {p:7.0f}  unprotected {u:7.0f}  {p / u:.2f}"
                )
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(10)
    print(f"\nuvicorn 1 worker, wrk -c{args.connections}, {args.rounds} x {args.seconds}s, "
          "a random client address per request")  # fmt: skip
    figures = {}
    for label, rounds in results.items():
        p, u = statistics.median(rounds["protected"]), statistics.median(rounds["unprotected"])
        figures[label] = {"protected_rps": p, "unprotected_rps": u, "ratio": p / u}
        print(f"{label:13} protected {p:7.0f} req/s  unprotected {u:7.0f} req/s  "
              f"ratio {p / u:.2f}   target >= {TARGET:.2f}")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

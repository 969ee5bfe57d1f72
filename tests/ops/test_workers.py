"""``northbound serve --workers 2``: two processes, one set of figures at /metrics."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

NORTHBOUND = Path(sys.executable).with_name("northbound")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthz_count(metrics: str) -> float:
    pattern = r'northbound_http_requests_total\{[^}]*route="/healthz"[^}]*\} ([0-9.e+]+)'
    return sum(float(value) for value in re.findall(pattern, metrics))


def _limit(metrics: str) -> float | None:
    found = re.search(r"^northbound_surge_limit ([0-9.e+]+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else None


def test_metrics_add_up_every_worker(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "NORTHBOUND_DATA_DIR": str(tmp_path / "data"),
        "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
        "NORTHBOUND_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run([str(NORTHBOUND), "db", "upgrade"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [str(NORTHBOUND), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        # The first worker answering says nothing of the second, which may still be starting
        # on a busy machine: wait until both have written their limit (20 each).
        while _limit(httpx.get(f"{base}/metrics", timeout=5).text) != 40.0:
            assert time.monotonic() < deadline, "the second worker did not start"
            time.sleep(0.5)
        for _ in range(40):  # a new connection each: the kernel spreads them over the workers
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        # each worker hands its figures over within a second (ops/observe.py Tally); a scrape
        # flushes the answering worker's own batch at once. On a loaded machine the other
        # worker's second can run late: wait until one scrape has all 41, then ask again.
        while _healthz_count(httpx.get(f"{base}/metrics", timeout=5).text) < 41:
            assert time.monotonic() < deadline, "the workers' figures were never handed over"
            time.sleep(0.5)
        for _ in range(6):  # whichever worker answers, it reports all of them
            text = httpx.get(f"{base}/metrics", timeout=5).text
            assert _healthz_count(text) >= 41
            # each live worker's concurrency limit (20 at start) adds up; dead ones drop out
            assert _limit(text) == 40.0
    finally:
        server.terminate()
        server.communicate(timeout=30)  # reads and closes its pipes


def test_surge_status_adds_up_workers() -> None:
    from northbound.surge_cli import parse_metrics

    text = """# HELP northbound_surge_limit Current concurrency limit.
# TYPE northbound_surge_limit gauge
northbound_surge_limit{pid="11"} 20.0
northbound_surge_limit{pid="12"} 30.0
# HELP northbound_surge_loop_lag_seconds Event-loop lag.
# TYPE northbound_surge_loop_lag_seconds gauge
northbound_surge_loop_lag_seconds{pid="11"} 0.002
northbound_surge_loop_lag_seconds{pid="12"} 0.2
# HELP northbound_surge_breaker_state Circuit breaker state.
# TYPE northbound_surge_breaker_state gauge
northbound_surge_breaker_state{name="database",pid="11"} 0.0
northbound_surge_breaker_state{name="database",pid="12"} 2.0
"""
    figures = parse_metrics(text)
    assert figures.gauges["limit"] == 50.0
    assert figures.gauges["loop_lag_seconds"] == 0.2
    assert figures.breakers["database"] == 2.0

"""The lab reads httperf's report correctly (the figures bench/overload.py prints depend on
it), and bench/overload.py drives the lab's generators instead of carrying its own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from northbound.lab import flood, httperf

BENCH = Path(__file__).resolve().parents[2] / "bench" / "overload.py"

# Trimmed from a real run of Debian's httperf 0.9.0 against the search page.
REPORT = """\
httperf --timeout=2 --client=0/1 --server=127.0.0.1 --port=18123 --uri=/en/search --rate=1000
Maximum connect burst length: 13

Total: connections 3000 requests 2990 replies 2950 test-duration 3.092 s

Connection rate: 970.1 conn/s (1.0 ms/conn, <=274 concurrent connections)
Reply status: 1xx=0 2xx=1808 3xx=0 4xx=12 5xx=1130

CPU time [s]: user 0.06 system 2.22 (user 2.1% system 71.9% total 74.0%)
Net I/O: 3202.3 KB/s (26.2*10^6 bps)

Errors: total 57 client-timo 40 socket-timo 0 connrefused 0 connreset 10
Errors: fd-unavail 7 addrunavail 0 ftab-full 0 other 0
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("overload_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_parse_httperf_reads_every_count() -> None:
    figures = httperf.parse_httperf(REPORT)
    assert figures["connections"] == 3000 and figures["replies"] == 2950
    assert figures["duration"] == pytest.approx(3.092)
    assert (figures["2xx"], figures["4xx"], figures["5xx"]) == (1808, 12, 1130)
    assert figures["client_timeouts"] == 40 and figures["reset"] == 10
    assert figures["fd_unavail"] == 7
    assert figures["user"] + figures["system"] == pytest.approx(2.28)


def test_parse_httperf_refuses_a_report_it_does_not_know() -> None:
    with pytest.raises(RuntimeError, match="unexpected httperf output"):
        httperf.parse_httperf("httperf: connection refused\n")


def test_enough_httperf_processes_for_the_open_sockets() -> None:
    assert httperf.httperf_processes(100, 2.0) == 1
    # 3,000/s for 2 s, half as much again: 9,000 sockets, 900 per process
    assert httperf.httperf_processes(3000, 2.0) == 10
    assert httperf.httperf_processes(1e6, 2.0) == httperf.HTTPERF_MAX_PROCESSES


def test_the_bench_uses_the_lab_generators(bench: ModuleType) -> None:
    # one generator: the bench's step results and httperf driver are the lab's own
    assert bench.StepResult is flood.StepResult
    assert bench.run_httperf is httperf.run_httperf
    assert not hasattr(bench, "open_loop") and not hasattr(bench, "parse_httperf")

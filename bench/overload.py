"""Benchmark: goodput under 1x-20x overload, surge defence on vs off.

For each mode (protected, unprotected) and each load multiple, a fresh server is started as a
subprocess pinned to CPU 0; an open-loop generator pinned to CPU 1 offers ``multiple x
capacity`` requests per second for ``--seconds`` (arrivals never wait for responses, one new
connection per request, as a crowd of separate people behaves) and gives up on a request after
``--give-up`` seconds. Capacity is first measured on the unprotected server with a closed loop.

Goodput = responses with status 200 that arrived within ``--good-within`` seconds (default 2),
per second of the step. Latency percentiles are of the 200 responses.

Generators. The Python one (asyncio, one core) manages ~2,000-3,500 new connections per second;
past ``--python-max-rate`` (or with ``--generator httperf``) Debian's httperf is used instead:
several processes (select() caps each at 1,024 sockets) pinned to CPU 1, each offering its share
of the rate, one request per connection, ``--timeout`` = the good-within window. httperf gives no
per-request latency, so its 2xx count *is* the goodput and a request unanswered after 2 s is a
client timeout: those clients are less patient than the Python generator's (10 s). Each step
prints what the generator was asked for and what it achieved (sockets it could not open, a run
that outlasted its schedule or was cut), how much CPU it used (httperf's select() loops and,
on loopback, most of the kernel's TCP work for a connection are charged to the sender's core:
here it kept to schedule up to ~5,500 new connections per second and slipped beyond), and the
server's own status counts from ``/metrics`` (httperf only sees 5xx, the server tells 503
from 500) and CPU per answered request.

Targets: protected goodput at 10x >= 0.9 x its goodput at 1x; protected 500s = 0; the
unprotected server is expected to collapse.

Targets:
    demo   bench/bounded_app.py: ``/case`` is a dynamic page whose cost is dominated by a
           bounded case-processing backend (fixed concurrency and service time).
    site   ``northbound serve`` (rate limits turned off: every request comes from 127.0.0.1;
           waiting room off: it has its own benchmark). ``--path /lab/case`` turns on the
           site's lab route backed by the same bounded backend (``NORTHBOUND_LAB__BACKEND``).

    .venv/bin/python bench/overload.py                          # demo, bounded backend
    .venv/bin/python bench/overload.py --target site --path /lab/case
    .venv/bin/python bench/overload.py --target site --path "/en/search?q=express+entry+language" \
        --multiples 1,2,3.5,5,10 --seconds 6 --generator httperf      # CPU-bound page
    .venv/bin/python -m northbound.lab.flood --port 8000 --path /case --rate 100 --seconds 5

The generators (``northbound.lab.flood``, ``northbound.lab.httperf``) and server management
(``northbound.lab.server``) live in the surge lab; this script only conducts the steps.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from northbound.lab.flood import StepResult
from northbound.lab.httperf import HTTPERF_NOTE, run_httperf
from northbound.lab.server import GENERATOR_CPU, HOST, Server, free_port, pin
from northbound.ops.metrics import METRIC_NAMESPACE

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def start_server(
    args: argparse.Namespace, protected: bool, env: dict[str, str]
) -> tuple[Server, int]:
    """The demo app or the site on the server's core; returns it and its port."""
    port = free_port()
    if args.target == "demo":
        command = [
            PYTHON,
            str(ROOT / "bench" / "bounded_app.py"),
            "--port",
            str(port),
            "--concurrency",
            str(args.concurrency),
            "--service-ms",
            str(args.service_ms),
            "--cpu-ms",
            str(args.cpu_ms),
        ]
        if protected:
            command.append("--protected")
        health = f"http://{HOST}:{port}/metrics"
    else:
        command = [str(ROOT / ".venv" / "bin" / "northbound"), "serve", "--port", str(port)]
        if not protected:
            command.append("--unprotected")
        health = f"http://{HOST}:{port}/healthz"
    return Server(command, health, env, cwd=ROOT), port


def run_generator(port: int, path: str, extra: list[str], timeout: float) -> dict[str, Any]:
    command = [
        *pin(GENERATOR_CPU),
        PYTHON,
        "-m",
        "northbound.lab.flood",
        "--port",
        str(port),
        "--path",
        path,
        *extra,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    data: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return data


def server_counts(port: int) -> tuple[dict[str, int], dict[str, int]]:
    """Statuses the server itself counted (all routes but /metrics) and its shed reasons."""
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return {}, {}
    for line in text.splitlines():
        request = re.match(rf"^{METRIC_NAMESPACE}_http_requests_total\{{(.*)\}} ([\d.e+]+)$", line)
        if request and 'route="/metrics"' not in request.group(1):
            status = re.search(r'status="(\d+)"', request.group(1))
            if status:
                statuses[status.group(1)] += int(float(request.group(2)))
        shed = re.match(
            rf'^{METRIC_NAMESPACE}_surge_shed_total\{{.*reason="(\w+)"\}} ([\d.e+]+)$', line
        )
        if shed:
            reasons[shed.group(1)] += int(float(shed.group(2)))
    return dict(statuses), dict(reasons)


def server_env(args: argparse.Namespace, work: Path) -> dict[str, str]:
    env = {**os.environ, "NORTHBOUND_LOG_LEVEL": "WARNING"}
    if args.target == "site":
        env.update(
            {
                "NORTHBOUND_DATA_DIR": str(work / "data"),
                "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
                # One generator address would otherwise be rate limited (429) long before the
                # admission controller is tested; rate limits are measured elsewhere.
                "NORTHBOUND_RATE_LIMIT__ENABLED": "false",
                # Cookie-less generator requests would all get the waiting page (a 200) once the
                # room turns itself on; the room has its own benchmark (bench/waiting_room.py).
                "NORTHBOUND_WAITING_ROOM__ENABLED": "false",
            }
        )
        if args.path.startswith("/lab/case"):
            env.update(
                {
                    "NORTHBOUND_LAB__BACKEND": "1",
                    "NORTHBOUND_LAB__BACKEND_CONCURRENCY": str(args.concurrency),
                    "NORTHBOUND_LAB__BACKEND_SERVICE_SECONDS": str(args.service_ms / 1000),
                }
            )
        for pair in args.site_env:
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def per_answer(r: StepResult) -> str:
    answered = sum(r.server_statuses.values())
    return f"{1e6 * r.server_cpu / answered:.0f}" if answered and r.server_cpu else "-"


def generator_busy(r: StepResult) -> str:
    if not r.generator_cpu:
        return "-"
    return f"{100 * r.generator_cpu / max(r.duration, r.seconds):.0f}"


def cpu_note(r: StepResult) -> str:
    """Where the CPU went: the server's per answer, and the generator's (is it the bottleneck?)."""
    per = per_answer(r)
    parts = [f"server CPU {r.server_cpu:.2f} s"]
    if per != "-":
        parts.append(f"{per} us per answered request")
    if r.generator_cpu:
        each = 1e6 * r.generator_cpu / max(r.sent, 1)
        parts.append(f"httperf CPU {r.generator_cpu:.2f} s ({generator_busy(r)} % of its core, "
                     f"{each:.0f} us per connection)")  # fmt: skip
    return ", ".join(parts)


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[tuple[str, float, StepResult]]) -> None:
    header = (
        f"{'mode':<12}{'x':>4}{'offered':>9}{'sent/s':>8}{'gen':>12}{'goodput':>9}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'2xx':>7}{'5xx':>7}{'srv503':>8}{'srv500':>7}{'429':>6}{'t/o':>7}"
        f"{'err':>6}{'unsent':>7}{'us/ans':>7}{'gen%':>6}"
    )
    print(header)
    print("-" * len(header))
    for mode, multiple, r in rows:
        s = r.statuses
        ok = s.get("200", 0) + s.get("2xx", 0)
        fives = sum(v for k, v in s.items() if k.startswith("5"))
        four29 = s.get("429", 0) if r.generator == "python" else r.server_statuses.get("429", 0)
        sent = f"{r.achieved_rate:.0f}{'*' if r.behind else ''}"
        print(
            f"{mode:<12}{multiple:>4g}{r.target_rate:>9.0f}{sent:>8}{r.generator:>12}"
            f"{r.goodput:>9.1f}{fmt(r.percentile(0.5)):>8}"
            f"{fmt(r.percentile(0.99)):>8}{ok:>7}{fives:>7}"
            f"{r.server_statuses.get('503', 0):>8}{r.server_statuses.get('500', 0):>7}"
            f"{four29:>6}{r.timeouts:>7}{r.errors:>6}{r.not_sent:>7}{per_answer(r):>7}"
            f"{generator_busy(r):>6}"
        )
    print(
        "2xx/5xx/t-o/err/unsent: as the generator saw them; srv503/srv500: as the server counted "
        "them (its /metrics, every request it answered, late ones included); unsent: the "
        "generator could not open a socket; * after sent/s: the generator fell behind its "
        "schedule; us/ans: server CPU per request it answered; gen%: httperf's CPU use (kernel "
        "TCP work on its side included) as a share of its one core (near 100: it, not the server, "
        "set the pace)."
    )


def describe(args: argparse.Namespace) -> str:
    demo = args.target == "demo"
    site = "the real site: rate limits and waiting room off, admission control on/off"
    where = (
        f"bench/bounded_app.py {args.path}" if demo else f"northbound serve {args.path} ({site})"
    )
    if (demo and args.path == "/case") or (not demo and args.path.startswith("/lab/case")):
        capacity = args.concurrency / (args.service_ms / 1000)
        return (
            f"{where}: a dynamic page whose cost is dominated by a BOUNDED BACKEND "
            f"({args.concurrency} cases at once, {args.service_ms:g} ms each = {capacity:g} "
            "req/s theoretical), not by this server's CPU."
        )
    if demo:
        return f"{where}: a CPU-BOUND dynamic page ({args.cpu_ms:g} ms of CPU in the loop each)."
    return f"{where}: CPU-BOUND in this server's event loop."


def conduct(args: argparse.Namespace) -> None:
    multiples = [float(m) for m in args.multiples.split(",")]
    modes = args.modes.split(",")
    work = Path(tempfile.mkdtemp(prefix="nb-overload-"))
    env = server_env(args, work)
    if args.target == "site":
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "northbound"), "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
    print(describe(args))
    capacity = args.capacity
    if not capacity:
        server, port = start_server(args, protected=False, env=env)
        with server:
            extra = ["--seconds", str(args.capacity_seconds), "--workers", str(args.workers)]
            capacity = run_generator(port, args.path, extra, 120)["capacity"]
        print(f"capacity (closed loop, {args.workers} clients, unprotected): {capacity:.1f} req/s")
    rows: list[tuple[str, float, StepResult]] = []
    for mode in modes:
        for multiple in multiples:
            rate = capacity * multiple
            use_httperf = args.generator == "httperf" or (
                args.generator == "auto" and rate > args.python_max_rate
            )
            protected = mode == "protected"
            server, port = start_server(args, protected=protected, env=env)
            with server:
                cpu_before = server.cpu_seconds()
                if use_httperf:
                    result = run_httperf(
                        port,
                        args.path,
                        rate,
                        args.seconds,
                        args.good_within,
                        args.good_within,
                    )
                else:
                    extra = [
                        "--rate",
                        f"{rate:.3f}",
                        "--seconds",
                        str(args.seconds),
                        "--give-up",
                        str(args.give_up),
                        "--good-within",
                        str(args.good_within),
                    ]
                    data = run_generator(port, args.path, extra, args.seconds + args.give_up + 60)
                    result = StepResult(**data)
                result.server_cpu = server.cpu_seconds() - cpu_before
                result.server_statuses, result.shed_reasons = server_counts(port)
            rows.append((mode, multiple, result))
            behind = result.behind or result.achieved_rate < 0.95 * rate
            print(
                f"  {mode} {multiple:g}x ({result.generator}): asked {rate:.0f}/s, the generator "
                f"sent {result.sent} = {result.achieved_rate:.0f}/s"
                f"{f' and could not send {result.not_sent}' if result.not_sent else ''}"
                f"{f' in a run of {result.duration:.1f} s' if result.duration else ''}"
                f"{' (GENERATOR FELL BEHIND)' if behind else ''}; "
                f"goodput {result.goodput:.1f}/s, statuses {dict(Counter(result.statuses))}, "
                f"timeouts {result.timeouts}, errors {result.errors}; server counted "
                f"{result.server_statuses}, shed reasons {result.shed_reasons}; {cpu_note(result)}",
                flush=True,
            )
    print()
    print(describe(args))
    print(
        f"capacity {capacity:.1f} req/s; {args.seconds:g} s per step; open loop, new connection "
        f"per request; give up after {args.give_up:g} s; goodput = 200 within "
        f"{args.good_within:g} s per second; p50/p99 of 200s"
    )
    if any(r.generator != "python" for _, _, r in rows):
        print(HTTPERF_NOTE)
    print_table(rows)
    summarise(rows)
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                {
                    "description": describe(args),
                    "capacity": capacity,
                    "rows": [
                        {"mode": m, "multiple": x, **asdict(r), "ok_latencies_ms": None}
                        for m, x, r in rows
                    ],
                },
                indent=2,
            )
        )


def summarise(rows: list[tuple[str, float, StepResult]]) -> None:
    by_mode: dict[str, dict[float, StepResult]] = {}
    for mode, multiple, result in rows:
        by_mode.setdefault(mode, {})[multiple] = result
    for mode, results in by_mode.items():
        if 1.0 in results and 10.0 in results and results[1.0].goodput > 0:
            ratio = results[10.0].goodput / results[1.0].goodput
            target = "   target >= 0.90" if mode == "protected" else ""
            print(f"{mode}: goodput at 10x / goodput at 1x = {ratio:.2f}{target}")
        fives = sum(
            r.server_statuses.get("500", 0) if r.server_statuses else r.statuses.get("500", 0)
            for r in results.values()
        )
        print(f"{mode}: 500 responses in all steps = {fives} (as the server counted them)")
    lat = [r.percentile(0.99) for m, _, r in rows if m == "protected"]
    known = [v for v in lat if v is not None]
    if known:
        print(
            f"protected: worst p99 of 200s = {max(known):.0f} ms, median p99 "
            f"{statistics.median(known):.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Goodput under overload, protected vs not.")
    parser.add_argument("--target", choices=["demo", "site"], default="demo")
    parser.add_argument("--path", default="/case")
    parser.add_argument("--modes", default="protected,unprotected")
    parser.add_argument("--multiples", default="1,2,5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0, help="arrivals per step")
    parser.add_argument("--give-up", type=float, default=10.0)
    parser.add_argument("--good-within", type=float, default=2.0)
    parser.add_argument("--capacity", type=float, default=0.0, help="skip measuring it")
    parser.add_argument("--capacity-seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=32, help="closed-loop clients")
    parser.add_argument("--concurrency", type=int, default=8, help="demo backend slots")
    parser.add_argument("--service-ms", type=float, default=200.0, help="demo backend time")
    parser.add_argument("--cpu-ms", type=float, default=5.0, help="demo /cpu page CPU time")
    parser.add_argument(
        "--site-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for `northbound serve` (repeatable)",
    )
    parser.add_argument(
        "--generator",
        choices=["auto", "python", "httperf"],
        default="auto",
        help="open-loop generator; auto = httperf above --python-max-rate",
    )
    parser.add_argument(
        "--python-max-rate",
        type=float,
        default=2000.0,
        help="highest rate the Python generator is trusted with on one core",
    )
    parser.add_argument("--json-out", default="")
    conduct(parser.parse_args())


if __name__ == "__main__":
    main()

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
    .venv/bin/python bench/overload.py generate --port 8000 --path /case --rate 100 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"  # traffic goes nowhere else


# The generator (runs in its own process, pinned to CPU 1) --------------------------------------
@dataclass
class StepResult:
    target_rate: float
    seconds: float
    sent: int = 0
    achieved_rate: float = 0.0
    max_lateness_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    timeouts: int = 0
    errors: int = 0
    good: int = 0
    ok_latencies_ms: list[float] = field(default_factory=list)
    generator: str = "python"
    not_sent: int = 0  # the generator could not open a socket (httperf: fd-unavail etc.)
    server_statuses: dict[str, int] = field(default_factory=dict)  # from the server's /metrics
    behind: bool = False  # the generator did not keep to its schedule
    generator_cpu: float = 0.0  # httperf: CPU seconds its processes used (kernel TCP work included)
    server_cpu: float = 0.0  # CPU seconds the server process used during the step
    duration: float = 0.0  # httperf: first connection to last reply or timeout
    shed_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def goodput(self) -> float:
        return self.good / self.seconds

    def percentile(self, fraction: float) -> float | None:
        values = sorted(self.ok_latencies_ms)
        if not values:
            return None
        return values[min(len(values) - 1, int(fraction * len(values)))]


class _OneShot(asyncio.Protocol):
    """Sends one request on a fresh connection and reports the status when the server closes."""

    def __init__(self, request: bytes, done: asyncio.Future[str]) -> None:
        self.request = request
        self.done = done
        self.head = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.WriteTransport, transport).write(self.request)

    def data_received(self, data: bytes) -> None:
        if len(self.head) < 16:
            self.head += data[:16]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            parts = self.head.split(b" ", 2)
            status = parts[1].decode() if len(parts) > 1 and parts[1].isdigit() else "broken"
            self.done.set_result(status)


async def _one_request(
    port: int, request: bytes, give_up: float, good_within: float, result: StepResult
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    done: asyncio.Future[str] = loop.create_future()
    transport: asyncio.BaseTransport | None = None
    try:
        async with asyncio.timeout(give_up):
            transport, _ = await loop.create_connection(lambda: _OneShot(request, done), HOST, port)
            status = await done
    except TimeoutError:
        result.timeouts += 1
        return
    except OSError:
        result.errors += 1
        return
    finally:
        if transport is not None:
            cast(asyncio.WriteTransport, transport).abort()
    elapsed = loop.time() - started
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if status == "200":
        result.ok_latencies_ms.append(elapsed * 1000)
        if elapsed <= good_within:
            result.good += 1


def _request_bytes(path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: northbound-overload\r\n"
        "Accept: text/html\r\nConnection: close\r\n\r\n"
    ).encode()


async def open_loop(
    port: int, path: str, rate: float, seconds: float, give_up: float, good_within: float
) -> StepResult:
    """Offer ``rate`` requests/s for ``seconds`` whatever the server does, then wait out the
    stragglers (at most ``give_up`` seconds)."""
    loop = asyncio.get_running_loop()
    result = StepResult(target_rate=rate, seconds=seconds)
    request = _request_bytes(path)
    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    start = loop.time()
    sent = 0
    while sent < total:
        now = loop.time()
        due = min(total, int((now - start) * rate) + 1)
        while sent < due:
            lateness = now - (start + sent / rate)
            result.max_lateness_ms = max(result.max_lateness_ms, lateness * 1000)
            task = loop.create_task(_one_request(port, request, give_up, good_within, result))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - loop.time()))
    result.sent = sent
    result.achieved_rate = sent / max(loop.time() - start, 1e-9)
    if tasks:
        await asyncio.wait(tasks, timeout=give_up + 2)
    return result


async def closed_loop(port: int, path: str, workers: int, seconds: float) -> float:
    """200 responses per second with ``workers`` clients each waiting for its answer."""
    loop = asyncio.get_running_loop()
    request = _request_bytes(path)
    deadline = loop.time() + seconds
    ok = 0

    async def worker() -> None:
        nonlocal ok
        while loop.time() < deadline:
            single = StepResult(target_rate=0, seconds=seconds)
            await _one_request(port, request, 10.0, 10.0, single)
            if loop.time() <= deadline:  # answers after the bell would inflate the figure
                ok += single.statuses.get("200", 0)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return ok / seconds


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def generate_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="overload.py generate")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="0 = closed loop")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--give-up", type=float, default=10.0)
    parser.add_argument("--good-within", type=float, default=2.0)
    args = parser.parse_args(argv)
    _raise_fd_limit()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    if args.rate <= 0:
        rps = asyncio.run(closed_loop(args.port, args.path, args.workers, args.seconds))
        print(json.dumps({"capacity": rps}))
        return
    result = asyncio.run(
        open_loop(args.port, args.path, args.rate, args.seconds, args.give_up, args.good_within)
    )
    print(json.dumps(asdict(result)))


# The conductor ---------------------------------------------------------------------------------
def pin(cpu: int) -> list[str]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)]
    return []


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up in {timeout:.0f} s")


class Server:
    """One server subprocess on CPU 0, stopped on exit however the step ends."""

    def __init__(self, args: argparse.Namespace, protected: bool, env: dict[str, str]) -> None:
        self.port = free_port()
        if args.target == "demo":
            command = [
                PYTHON,
                str(ROOT / "bench" / "bounded_app.py"),
                "--port",
                str(self.port),
                "--concurrency",
                str(args.concurrency),
                "--service-ms",
                str(args.service_ms),
                "--cpu-ms",
                str(args.cpu_ms),
            ]
            if protected:
                command.append("--protected")
            health = f"http://{HOST}:{self.port}/metrics"
        else:
            command = [
                str(ROOT / ".venv" / "bin" / "northbound"),
                "serve",
                "--port",
                str(self.port),
            ]
            if not protected:
                command.append("--unprotected")
            health = f"http://{HOST}:{self.port}/healthz"
        self.process = subprocess.Popen([*pin(0), *command], env=env, cwd=ROOT)
        try:
            wait_until_up(health)
        except BaseException:
            self.stop()
            raise

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_generator(port: int, path: str, extra: list[str], timeout: float) -> dict[str, Any]:
    command = [
        *pin(1),
        PYTHON,
        str(Path(__file__).resolve()),
        "generate",
        "--port",
        str(port),
        "--path",
        path,
        *extra,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    data: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return data


# httperf (Debian's, written in C): open loop far past what Python can offer on one core ---------
HTTPERF_FDS = 900  # httperf uses select(): at most FD_SETSIZE (1024) sockets per process
HTTPERF_MAX_PROCESSES = 24  # more, on one core, only starve each other's timers
HTTPERF_NOTE = (
    "httperf reports no per-request latency: its --timeout is set to the good-within window, "
    "so a 2xx is a reply that came in time and a request still unanswered then is a client "
    "timeout (the Python generator waits up to --give-up and counts the late 200s apart). "
    "p50/p99 are therefore blank for httperf rows."
)


def httperf_processes(rate: float, timeout: float) -> int:
    """Enough processes that rate x timeout open sockets (the most a flood nobody answers can
    hold open), with half as much again for sockets being closed, fit under select()'s limit."""
    return max(1, min(HTTPERF_MAX_PROCESSES, -(-int(1.5 * rate * timeout) // HTTPERF_FDS)))


def parse_httperf(text: str) -> dict[str, int | float]:
    """The counts of one httperf report (its summary lines)."""
    figures: dict[str, int | float] = {}
    patterns = {
        "connections": r"^Total: connections (\d+) requests (\d+) replies (\d+) test-duration "
        r"([\d.]+) s",
        "status": r"^Reply status: 1xx=(\d+) 2xx=(\d+) 3xx=(\d+) 4xx=(\d+) 5xx=(\d+)",
        "errors": r"^Errors: total (\d+) client-timo (\d+) socket-timo (\d+) connrefused (\d+) "
        r"connreset (\d+)",
        "fds": r"^Errors: fd-unavail (\d+) addrunavail (\d+) ftab-full (\d+) other (\d+)",
        "cpu": r"^CPU time \[s\]: user ([\d.]+) system ([\d.]+)",
    }
    names = {
        "connections": ["connections", "requests", "replies", "duration"],
        "status": ["1xx", "2xx", "3xx", "4xx", "5xx"],
        "errors": ["errors", "client_timeouts", "socket_timeouts", "refused", "reset"],
        "fds": ["fd_unavail", "addr_unavail", "ftab_full", "other"],
        "cpu": ["user", "system"],
    }
    for key, pattern in patterns.items():
        match = re.search(pattern, text, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"unexpected httperf output (no {key} line):\n{text[-2000:]}")
        for name, value in zip(names[key], match.groups(), strict=True):
            numeric = name in ("duration", "user", "system")
            figures[name] = float(value) if numeric else int(value)
    return figures


def run_httperf(
    port: int, path: str, rate: float, seconds: float, timeout: float, good_within: float
) -> StepResult:
    """Offer ``rate`` connections/s (one request each) with httperf processes pinned to CPU 1.

    Each httperf process gets an equal share of the rate; their reports are summed. No
    ``--hog``: with it every process hunts for free ports with bind() and, several at once,
    they spin on EADDRINUSE; without it the kernel picks ephemeral ports.
    """
    binary = shutil.which("httperf")
    if binary is None:
        raise RuntimeError("httperf is not installed (Debian: apt-get install httperf)")
    count = httperf_processes(rate, timeout)
    total = int(rate * seconds)
    processes = []
    for index in range(count):
        share = total // count + (1 if index < total % count else 0)
        command = [
            *pin(1),
            binary,
            "--server",
            HOST,
            "--port",
            str(port),
            "--uri",
            path,
            "--rate",
            f"{rate / count:.3f}",
            "--num-conns",
            str(share),
            "--num-calls",
            "1",
            "--timeout",
            f"{timeout:g}",
        ]
        processes.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    # A generator that falls far behind its schedule is stopped with SIGINT (httperf then
    # prints its report so far) at schedule + timeout + 15 s; what it never sent is unsent.
    deadline = time.monotonic() + seconds + timeout + 15
    reports = []
    cut = False
    try:
        for process in processes:
            try:
                out = process.communicate(timeout=max(0.1, deadline - time.monotonic()))[0]
            except subprocess.TimeoutExpired:
                cut = True
                process.send_signal(signal.SIGINT)
                out = process.communicate(timeout=30)[0]
            reports.append(out)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    parsed = [parse_httperf(report) for report in reports]

    def total_of(name: str) -> int:
        return int(sum(figures[name] for figures in parsed))

    duration = max(float(figures["duration"]) for figures in parsed)
    sent = total_of("connections")
    not_sent = total - sent  # no socket (fd-unavail etc.), or never tried before the cut
    result = StepResult(target_rate=rate, seconds=seconds, generator=f"httperf x{count}")
    result.sent = sent
    # httperf paces connections by its own clock and reports no send times, only the whole
    # run's duration (up to the last reply or timeout). A run that lasted longer than the
    # schedule plus one timeout (and a second of slack) fell behind; so did one short of sockets.
    result.achieved_rate = sent / seconds
    result.duration = duration
    result.generator_cpu = sum(float(f["user"]) + float(f["system"]) for f in parsed)
    result.behind = cut or not_sent > 0 or duration > seconds + timeout + 1.0
    result.not_sent = not_sent
    result.statuses = {k: total_of(k) for k in ("1xx", "2xx", "3xx", "4xx", "5xx") if total_of(k)}
    result.timeouts = total_of("client_timeouts")
    result.errors = total_of("errors") - result.timeouts - not_sent
    result.good = total_of("2xx") if timeout <= good_within else 0
    return result


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
        request = re.match(r"^northbound_http_requests_total\{(.*)\} ([\d.e+]+)$", line)
        if request and 'route="/metrics"' not in request.group(1):
            status = re.search(r'status="(\d+)"', request.group(1))
            if status:
                statuses[status.group(1)] += int(float(request.group(2)))
        shed = re.match(r'^northbound_surge_shed_total\{.*reason="(\w+)"\} ([\d.e+]+)$', line)
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
    answered = sum(v for k, v in r.server_statuses.items())
    parts = [f"server CPU {r.server_cpu:.2f} s"]
    if answered:
        parts.append(f"{1e6 * r.server_cpu / answered:.0f} us per answered request")
    if r.generator_cpu:
        span = max(r.duration, r.seconds)
        parts.append(
            f"httperf CPU {r.generator_cpu:.2f} s in {span:.1f} s "
            f"({100 * r.generator_cpu / span:.0f} % of its core, "
            f"{1e6 * r.generator_cpu / max(r.sent, 1):.0f} us per connection)"
        )
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
    if args.target == "demo" and args.path == "/case":
        capacity = args.concurrency / (args.service_ms / 1000)
        return (
            f"bench/bounded_app.py {args.path}: a dynamic page whose cost is dominated by a "
            f"BOUNDED BACKEND ({args.concurrency} cases at once, {args.service_ms:g} ms each = "
            f"{capacity:g} req/s theoretical), not by this server's CPU."
        )
    if args.target == "demo":
        return (
            f"bench/bounded_app.py {args.path}: a CPU-BOUND dynamic page "
            f"({args.cpu_ms:g} ms of CPU in the event loop per request)."
        )
    site = "the real site: rate limits and waiting room off, admission control on/off"
    if args.path.startswith("/lab/case"):
        capacity = args.concurrency / (args.service_ms / 1000)
        return (
            f"northbound serve {args.path} ({site}): a dynamic page whose cost is dominated by a "
            f"BOUNDED BACKEND ({args.concurrency} cases at once, {args.service_ms:g} ms each = "
            f"{capacity:g} req/s theoretical), not by this server's CPU."
        )
    return f"northbound serve {args.path} ({site}): CPU-BOUND in this server's event loop."


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
        with Server(args, protected=False, env=env) as server:
            extra = ["--seconds", str(args.capacity_seconds), "--workers", str(args.workers)]
            capacity = run_generator(server.port, args.path, extra, 120)["capacity"]
        print(f"capacity (closed loop, {args.workers} clients, unprotected): {capacity:.1f} req/s")
    rows: list[tuple[str, float, StepResult]] = []
    for mode in modes:
        for multiple in multiples:
            rate = capacity * multiple
            use_httperf = args.generator == "httperf" or (
                args.generator == "auto" and rate > args.python_max_rate
            )
            protected = mode == "protected"
            with Server(args, protected=protected, env=env) as server:
                cpu_before = server.cpu_seconds()
                if use_httperf:
                    result = run_httperf(
                        server.port,
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
                    data = run_generator(
                        server.port, args.path, extra, args.seconds + args.give_up + 60
                    )
                    result = StepResult(**data)
                result.server_cpu = server.cpu_seconds() - cpu_before
                result.server_statuses, result.shed_reasons = server_counts(server.port)
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
    if len(sys.argv) > 1 and sys.argv[1] == "generate":
        generate_main(sys.argv[2:])
        return
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

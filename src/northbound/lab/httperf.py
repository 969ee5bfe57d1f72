"""Debian's httperf (written in C): open-loop floods far past what Python sends on one core.

Several httperf processes (select() caps each at 1,024 sockets) pinned to the generator's
core, each offering its share of the rate, one request per connection, ``--timeout`` = the
good-within window. httperf gives no per-request latency, so its 2xx count *is* the goodput
and a request unanswered in time is a client timeout.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time

from .flood import StepResult
from .server import GENERATOR_CPU, HOST, pin

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
            *pin(GENERATOR_CPU),
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

"""A flood of one address: open-loop requests at a fixed rate, one new connection each.

The simplest surge: arrivals never wait for responses and each request comes on a fresh
connection, as a crowd of separate people behaves; a request unanswered after ``give_up``
seconds is a timeout. Goodput = 200s that arrived within ``good_within`` seconds, per second.
``closed_loop`` measures capacity instead: ``workers`` clients, each waiting for its answer.
The crowd of people with journeys (:mod:`.crowd`) is the lab's main generator; this one is
for micro-benchmarks of one page (``bench/overload.py``) and runs in its own process, pinned
to the generator's core: ``python -m northbound.lab.flood --port P --path /x --rate R ...``
prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from dataclasses import asdict, dataclass, field
from typing import cast

from .server import HOST, raise_fd_limit


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m northbound.lab.flood")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="0 = closed loop")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--give-up", type=float, default=10.0)
    parser.add_argument("--good-within", type=float, default=2.0)
    args = parser.parse_args(argv)
    raise_fd_limit()
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


if __name__ == "__main__":
    main()

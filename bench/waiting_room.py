"""Benchmark the waiting room: poll throughput and memory per waiting visitor.

1. Polls per second. One uvicorn server (pinned to CPU 0) serves two paths: ``/raw/...`` is
   a raw ASGI app that returns the bytes of a waiting page captured beforehand; everything
   else goes through ``WaitingRoomMiddleware`` with the room on and paused, so every request
   is a visitor polling with a valid ticket (ticket verified, liveness recorded, page
   assembled). wrk (pinned to CPU 1, 64 connections) drives each in alternating rounds;
   the figure is the ratio of medians. Target >= 0.8x. Two request shapes, each sent to both
   apps alike: one visitor polling again and again (the gate verifies the ticket once, then
   finds it among the Cookie headers it verified recently), and ``--polling-visitors``
   different visitors in turn (a wrk Lua script rotates their cookies; with more of them
   than the gate remembers, every poll is verified from scratch, as in a long line).
2. Memory per waiting visitor with 1,000,000 in line, every one of them polling: in-process
   (tracemalloc, after the liveness epochs filled) and Redis (INFO used_memory difference
   under a dedicated key prefix, deleted afterwards).

    .venv/bin/python bench/waiting_room.py [--seconds 8] [--rounds 3] [--visitors 1000000]
        [--polling-visitors 10000] [--redis-url redis://127.0.0.1:6379/0] [--skip-http]
        [--skip-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from northbound.lab.server import free_port, pin

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VISITOR = "benchmark_visitor_00001"[:22]


# -- the server side (run in a subprocess) -------------------------------------------------


def build_server_app(cookie_file: Path, polling_visitors: int = 1) -> Any:
    """An ASGI app: /raw/* returns fixed bytes, the rest is the gated room (on, paused)."""
    from northbound.ops.metrics import METRIC_NAMESPACE
    from northbound.surge.waiting_room import Controls, WaitingRoom, WaitingRoomSettings
    from northbound.surge.waiting_room import WaitingRoomMiddleware as Gate
    from northbound.surge.waiting_room.memory_store import InProcessStore
    from northbound.surge.waiting_room.metrics import room_metrics
    from northbound.surge.waiting_room.tokens import KeyRing, PassSigner

    settings = WaitingRoomSettings(mode="on")
    signer = PassSigner("main", KeyRing([("k1", b"b" * 32)]))
    # the site's figures, as in production (a poll counts refused passes)
    room = WaitingRoom(settings, InProcessStore(), signer, metrics=room_metrics(METRIC_NAMESPACE))

    async def protected(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("nobody is admitted in this benchmark")

    gate = Gate(
        protected,
        room=room,
        exempt_prefixes=["/static/"],
        site_name="Northbound",
        cookie_prefix="nb_",
    )
    raw_page: dict[str, bytes] = {}

    async def setup() -> None:
        await room.start()
        await room.store.update_controls(Controls(paused=True))
        for index in range(1000):  # a line in front, so the page shows real numbers
            await room.visit(None, f"ahead_{index:016d}")
        cookies = []
        for index in range(max(1, polling_visitors)):  # the first one is VISITOR
            visitor = VISITOR if index == 0 else f"polling_{index:014d}"
            outcome = await room.visit(None, visitor)
            assert outcome.token is not None
            cookies.append(f"{gate.visitor_cookie}={visitor}; {gate.pass_cookie}={outcome.token}")
        cookie = cookies[0]
        captured: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.body":
                captured.append(message["body"])

        scope = {
            "type": "http", "method": "GET", "path": "/apply", "raw_path": b"/apply",
            "query_string": b"", "headers": [(b"cookie", cookie.encode())],
        }  # fmt: skip
        await gate(scope, None, capture)  # type: ignore[arg-type]
        raw_page["body"] = captured[0]
        _announce(cookie_file, cookies)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await setup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await room.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"].startswith("/raw/"):
            body = raw_page["body"]
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await gate(scope, receive, send)

    return app


def _announce(cookie_file: Path, cookies: list[str]) -> None:
    """Hand the driver the visitors' cookies, one a line (and the sign the room is ready)."""
    partial = cookie_file.with_suffix(".partial")
    partial.write_text("".join(f"{cookie}\n" for cookie in cookies))
    partial.rename(cookie_file)


def serve(port: int, cookie_file: Path, polling_visitors: int) -> None:
    import uvicorn

    uvicorn.run(
        build_server_app(cookie_file, polling_visitors), host="127.0.0.1", port=port, loop="uvloop",
        http="httptools", access_log=False, log_level="warning", backlog=4096,
    )  # fmt: skip


# -- the driver ------------------------------------------------------------------------------


# Each request carries the next visitor's cookies, in turn (the same script for both apps)
_ROTATE_COOKIES = """
local cookies = {}
for line in io.lines(os.getenv("NB_BENCH_COOKIES")) do cookies[#cookies + 1] = line end
local turn = 0
request = function()
  turn = turn % #cookies + 1
  return wrk.format(nil, nil, {["Cookie"] = cookies[turn]})
end
"""


def wrk(url: str, seconds: int, cookie: str, rotate: Path | None = None) -> float:
    """Requests per second; ``rotate``: a file of Cookie headers sent in turn instead."""
    if rotate is None:
        options = ["-H", f"Cookie: {cookie}"]
        env = None
    else:
        script = rotate.with_suffix(".lua")
        script.write_text(_ROTATE_COOKIES)
        options = ["-s", str(script)]
        env = {**os.environ, "NB_BENCH_COOKIES": str(rotate)}
    command = [*pin(1), "/usr/bin/wrk", "-t1", "-c64", f"-d{seconds}s", *options, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(output)
    return float(match.group(1))


def measure_polls(seconds: int, rounds: int, polling_visitors: int) -> dict[str, Any]:
    port = free_port()
    cookie_file = ROOT / f".bench-room-cookie-{os.getpid()}"
    server = subprocess.Popen(
        [*pin(0), PYTHON, __file__, "--serve", str(port), "--cookie-file", str(cookie_file),
         "--polling-visitors", str(polling_visitors)],
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not cookie_file.exists():
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("benchmark server did not start")
            time.sleep(0.1)
        cookies = cookie_file.read_text().splitlines()
        cookie = cookies[0]
        base = f"http://127.0.0.1:{port}"
        pages = []
        for one in (cookie, cookies[-1]):
            for _ in range(100):
                try:
                    request = urllib.request.Request(base + "/apply", headers={"Cookie": one})
                    with urllib.request.urlopen(request, timeout=1) as response:
                        pages.append(response.read())
                    break
                except OSError:
                    time.sleep(0.1)
        page = pages[0]
        assert all(b"Your place in line" in p for p in pages), pages[-1][:200]
        shapes: dict[str, Path | None] = {"one_visitor": None}
        if len(cookies) > 1:
            shapes["many_visitors"] = cookie_file
        results: dict[str, Any] = {"page_bytes": len(page), "polling_visitors": len(cookies)}
        for shape, rotate in shapes.items():
            wrk(base + "/raw/apply", 2, cookie, rotate)  # warm up both
            wrk(base + "/apply", 2, cookie, rotate)
            raw, gated = [], []
            for _ in range(rounds):
                raw.append(wrk(base + "/raw/apply", seconds, cookie, rotate))
                gated.append(wrk(base + "/apply", seconds, cookie, rotate))
            results[shape] = {
                "raw_rps": raw,
                "room_rps": gated,
                "round_ratios": [round(g / r, 3) for r, g in zip(raw, gated, strict=True)],
                "raw_median": statistics.median(raw),
                "room_median": statistics.median(gated),
                "ratio": statistics.median(gated) / statistics.median(raw),
            }
        return results
    finally:
        server.terminate()
        server.wait(timeout=20)
        cookie_file.unlink(missing_ok=True)
        cookie_file.with_suffix(".lua").unlink(missing_ok=True)


async def memory_in_process(visitors: int) -> float:
    from northbound.surge.waiting_room.memory_store import InProcessStore

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = InProcessStore()
    for _ in range(visitors):
        await store.join(free_flow=False, epoch=1)
    everyone = range(1, visitors + 1)
    await store.touch(everyone, epoch=2, keep_epochs=3)  # every one of them polls, twice
    await store.touch(everyone, epoch=3, keep_epochs=3)
    state = await store.state(epochs=[3, 2, 1])
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert state.live_waiting == visitors
    return (after - before) / visitors


async def memory_redis(visitors: int, url: str) -> float:
    from redis.asyncio import Redis

    from northbound.surge.waiting_room.redis_store import RedisStore

    client: Any = Redis.from_url(url)
    store = RedisStore(client, room="main", prefix=f"nbbench:{uuid.uuid4().hex[:8]}")
    try:
        before = int((await client.info("memory"))["used_memory"])
        batch = 2000
        for start in range(0, visitors, batch):
            async with client.pipeline(transaction=False) as pipe:
                for _ in range(min(batch, visitors - start)):
                    await store._join(keys=[store._state_key, store._seen(1)], args=[0, 600],
                                      client=pipe)  # fmt: skip
                await pipe.execute()
        everyone = range(1, visitors + 1)
        await store.touch(everyone, epoch=2, keep_epochs=3)
        await store.touch(everyone, epoch=3, keep_epochs=3)
        state = await store.state(epochs=[3, 2, 1])
        after = int((await client.info("memory"))["used_memory"])
        assert state.tail == visitors and state.live_waiting == visitors, state
        return (after - before) / visitors
    finally:
        await store.delete_all()
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--visitors", type=int, default=1_000_000)
    parser.add_argument("--polling-visitors", type=int, default=10_000,
                        help="visitors polling in turn (1: one-visitor shape only)")  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("NORTHBOUND_REDIS_URL")
                        or "redis://127.0.0.1:6379/0")  # fmt: skip
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cookie-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.cookie_file, args.polling_visitors)
        return
    results: dict[str, Any] = {}
    if not args.skip_http:
        polls = measure_polls(args.seconds, args.rounds, args.polling_visitors)
        results["polls"] = polls
        for shape, label in (("one_visitor", "one visitor"), ("many_visitors",
                             f"{polls['polling_visitors']:,} visitors in turn")):  # fmt: skip
            if shape in polls:
                figures = polls[shape]
                print(
                    f"waiting-page polls/s, {label}: room {figures['room_median']:,.0f} vs "
                    f"raw ASGI {figures['raw_median']:,.0f} ({polls['page_bytes']} B page) -> "
                    f"{figures['ratio']:.2f}x (target >= 0.80x)"
                )
    if not args.skip_memory:
        in_process = asyncio.run(memory_in_process(args.visitors))
        results["bytes_per_visitor_in_process"] = in_process
        print(f"in-process: {in_process:.2f} B per waiting visitor with {args.visitors:,} "
              "in line (target <= 64 B)")  # fmt: skip
        try:
            in_redis = asyncio.run(memory_redis(args.visitors, args.redis_url))
        except OSError as error:
            print(f"Redis: skipped ({error})")
        else:
            results["bytes_per_visitor_redis"] = in_redis
            print(f"Redis: {in_redis:.2f} B per waiting visitor with {args.visitors:,} "
                  "in line (target <= 128 B)")  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()

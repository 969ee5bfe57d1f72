"""Runs the crowd: people arrive on the schedule (open loop), each in their own browser
from their own loopback address, and follow their journey until done, out of patience or
cut off at the end.

Bounded whatever the site does: arrivals stop at ``duration``; people still on their way get
``drain`` seconds more, then are cut off; every person sends at most ``max_requests_each``
and the crowd at most ``max_requests`` requests. The generator watches itself (event-loop lag
and CPU): numbers from a generator that could not keep up measure the generator, not the site.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import aiohttp

from .addresses import person_address
from .arrivals import Arrival, arrivals, pick
from .browser import AiohttpTransport, Behaviour, Browser, GaveUp, RoomVisit
from .journeys import JOURNEYS, Crew, JourneyFailed
from .profiles import Schedule
from .recorder import Recorder
from .server import CpuMeter

Ending = Literal["completed", "abandoned", "failed", "cut"]
# The generator is the bottleneck past these: its sends run late, or its core is full.
MAX_SEND_LATENESS_P99_MS = 250.0
MAX_CPU_SHARE = 0.9


@dataclass
class PersonRecord:
    index: int
    journey: str
    arrived: float
    ending: Ending = "cut"
    finished: float | None = None
    rooms: list[RoomVisit] = field(default_factory=list)
    detail: str = ""


@dataclass
class GeneratorHealth:
    """How the generator itself fared."""

    lag_samples_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    request_cap_hit: bool = False

    @property
    def cpu_share(self) -> float:
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def lag_p99_ms(self) -> float:
        if not self.lag_samples_ms:
            return 0.0
        ordered = sorted(self.lag_samples_ms)
        return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


@dataclass
class CrowdResult:
    recorder: Recorder
    people: list[PersonRecord]
    crew: Crew
    health: GeneratorHealth
    duration: float
    send_lateness_p99_ms: float = 0.0
    server_cpu: dict[int, float] | None = None  # second -> share of a core; None: not watched

    def invalid_reason(self) -> str | None:
        """Why the generator, not the site, set the pace (None: a valid run)."""
        reasons = []
        if self.send_lateness_p99_ms > MAX_SEND_LATENESS_P99_MS:
            reasons.append(
                f"the generator sent late (p99 {self.send_lateness_p99_ms:.0f} ms after the "
                f"intended time, limit {MAX_SEND_LATENESS_P99_MS:.0f})"
            )
        if self.health.cpu_share > MAX_CPU_SHARE:
            reasons.append(f"the generator used {100 * self.health.cpu_share:.0f} % of its core")
        if self.health.request_cap_hit:
            reasons.append("the request cap was reached before the end of the profile")
        return "; ".join(reasons) or None


@dataclass
class CrowdOptions:
    base_url: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    seed: int = 1
    own_addresses: bool = True  # one loopback source address per person
    drain: float = 20.0
    max_requests: int = 2_000_000
    max_requests_each: int = 400
    server_pids: tuple[int, ...] = ()  # the site's processes, when the lab started them
    progress: Callable[[float, int, int], None] | None = None  # (elapsed, active, done)


def session_for(options: CrowdOptions, index: int) -> aiohttp.ClientSession:
    local = (person_address(index), 0) if options.own_addresses else None
    # a browser opens up to 6 connections to a host and keeps them alive between pages
    connector = aiohttp.TCPConnector(
        limit=6, local_addr=local, ssl=False, enable_cleanup_closed=False
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for an IP-address host too
        headers={"User-Agent": "northbound-lab", "Accept": "text/html,*/*;q=0.8"},
        timeout=aiohttp.ClientTimeout(total=None),
        auto_decompress=True,
    )


# gen2's threshold while a surge runs: no full collection (see young_collections_only)
_NO_FULL_COLLECTION = 1 << 30


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    """No full garbage collection while the crowd runs; one when it is over.

    The generator keeps everything it measures (every person, their visits, histograms, an
    HTTP session each), so its heap grows all run, and each full collection walks all of it:
    on the lab's election night (120 s, twice the site's capacity) fifteen of them stopped
    the generator for 20-514 ms, and requests due in those moments went out up to 400 ms
    late, past the limit that marks a run invalid. Young generations are still collected as
    usual (that is where a request's own garbage dies); what survives waits for the end. A
    run is bounded in time and requests, so what it holds meanwhile is bounded too.
    """
    thresholds = gc.get_threshold()
    gc.collect()  # start from a clean heap: what is garbage now is not kept all run
    gc.set_threshold(thresholds[0], thresholds[1], _NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()


class Crowd:
    """One surge: ``run(schedule)`` sends the people and returns what they saw."""

    def __init__(
        self, options: CrowdOptions, crew: Crew | None = None, recorder: Recorder | None = None
    ) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.crew = crew or Crew(rng=random.Random(options.seed + 1))
        self.recorder = recorder or Recorder()
        self.people: list[PersonRecord] = []
        self.health = GeneratorHealth()
        self.server_cpu = CpuMeter(options.server_pids)
        self._start = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._active = 0
        self._done = 0

    def clock(self) -> float:
        assert self._loop is not None
        return self._loop.time() - self._start

    def _patience(self, b: Behaviour) -> float:
        return self.rng.lognormvariate(math.log(b.patience_median), b.patience_sigma)

    def clock_start(self) -> None:
        """Run seconds count from now."""
        self._loop = asyncio.get_running_loop()
        self._start = self._loop.time()

    def browser(
        self, session: aiohttp.ClientSession, behaviour: Behaviour | None = None
    ) -> Browser:
        b = behaviour or self.options.behaviour
        return Browser(
            base_url=self.options.base_url,
            recorder=self.recorder,
            clock=self.clock,
            transport=AiohttpTransport(session),
            behaviour=b,
            patience=self._patience(b),
            reloads_slow_pages=self.rng.random() < b.reloaders,
            max_requests=self.options.max_requests_each,
        )

    async def person(self, arrival: Arrival) -> None:
        record = PersonRecord(arrival.index, arrival.journey, arrival.at)
        self.people.append(record)
        self._active += 1
        try:
            async with session_for(self.options, arrival.index) as session:
                person = self.browser(session)
                person.due = arrival.at  # the first page is due at the arrival, not when sent
                record.rooms = person.rooms
                try:
                    await JOURNEYS[arrival.journey](person, self.crew)
                    record.ending = "completed"
                except GaveUp:
                    record.ending = "abandoned"
                except JourneyFailed as exc:
                    record.ending, record.detail = "failed", str(exc)
                record.finished = self.clock()
        finally:
            self._active -= 1
            self._done += 1

    async def _watch(self, stop: asyncio.Event) -> None:
        """Event-loop lag every 100 ms, and progress for whoever shows it."""
        assert self._loop is not None
        interval = 0.1
        while not stop.is_set():
            before = self._loop.time()
            await asyncio.sleep(interval)
            lag = self._loop.time() - before - interval
            self.health.lag_samples_ms.append(max(0.0, lag * 1000))
            self.server_cpu.sample(self.clock())
            if self.recorder.total_requests() >= self.options.max_requests:
                self.health.request_cap_hit = True
                stop.set()
            if self.options.progress is not None:
                self.options.progress(self.clock(), self._active, self._done)

    async def run(self, schedule: Schedule) -> CrowdResult:
        with young_collections_only():
            return await self._run(schedule)

    async def _run(self, schedule: Schedule) -> CrowdResult:
        self.clock_start()
        cpu_before, wall_before = time.process_time(), time.monotonic()
        stop = asyncio.Event()
        watcher = asyncio.create_task(self._watch(stop))
        tasks: set[asyncio.Task[None]] = set()
        try:
            for arrival in arrivals(schedule, self.rng):
                delay = arrival.at - self.clock()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    break
                task = asyncio.create_task(self.person(arrival))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            remaining = schedule.duration + self.options.drain - self.clock()
            if tasks and remaining > 0:
                await asyncio.wait(set(tasks), timeout=remaining)
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            stop.set()
            await watcher
        self.health.cpu_seconds = time.process_time() - cpu_before
        self.health.wall_seconds = time.monotonic() - wall_before
        lateness = self.recorder.send_lateness
        p99 = float(lateness.get_value_at_percentile(99)) if lateness.get_total_count() else 0.0
        return CrowdResult(
            self.recorder,
            self.people,
            self.crew,
            self.health,
            schedule.duration,
            p99,
            self.server_cpu.shares if self.server_cpu.pids else None,
        )

    async def closed_loop(self, mix: dict[str, float], workers: int, seconds: float) -> float:
        """Capacity: useful answers per second of ``workers`` people doing journeys back to
        back, without reading time, for ``seconds``."""
        self.clock_start()
        recorder = Recorder()  # apart from the surge's counts
        eager = Behaviour(
            think_seconds=(0.0, 0.0), patience_median=1e6, patience_sigma=0.0, reloaders=0.0
        )

        async def worker(slot: int) -> None:
            index = 1_000_000 + slot * 10_000
            while self.clock() < seconds:
                index += 1
                async with session_for(self.options, index) as session:
                    person = Browser(
                        self.options.base_url,
                        recorder,
                        self.clock,
                        AiohttpTransport(session),
                        eager,
                        1e6,
                        False,
                    )
                    with contextlib.suppress(GaveUp, JourneyFailed):
                        await JOURNEYS[pick(mix, self.rng)](person, self.crew)

        tasks = [asyncio.create_task(worker(i)) for i in range(workers)]
        await asyncio.wait(tasks, timeout=seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        useful = sum(n for second, n in recorder.served.items() if second < seconds)
        return useful / seconds

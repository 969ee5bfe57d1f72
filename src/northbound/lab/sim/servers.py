"""The servers as queues: a few worker slots with a random service time, FIFO in front.

One :class:`Station` is ``slots`` identical servers sharing one first-in first-out queue
(an M/G/c queue when arrivals are Poisson). With mean service time ``S`` its capacity is
``slots / S`` requests a second, and its utilisation over a span is::

    utilisation = (integral of busy slots over the span) / (slots * span)

Service times are log-normal with the given mean and shape ``sigma``: a log-normal with
``mu = ln(mean) - sigma^2 / 2`` has exactly that mean. ``speed`` scales the rate (0.5 = a
server doing half the work per second: the "capacity halves" fault).

A station does what a real server does with a request whose client has gone: it serves it
anyway. Nothing tells a busy worker that the browser gave up, so late answers are wasted
work, and that waste is how an unprotected site collapses under a crowd that reloads.
A station that goes ``down`` loses everything queued or in service (connections reset), and
one whose queue holds ``backlog`` requests refuses the next (the listen backlog is full: the
kernel refuses the connection; uvicorn's default backlog is 2048).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .events import Simulation

Finished = Callable[[bool], None]  # True when served, False when refused or the server died


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """Log-normal service time: ``mean`` seconds, shape ``sigma``; ``sigma=None`` makes it
    exponential (memoryless: the M/M/c case queueing theory solves exactly)."""

    mean: float
    sigma: float | None = 0.5

    @property
    def mu(self) -> float:
        return math.log(self.mean) - (self.sigma or 0.0) ** 2 / 2

    def draw(self, rng: random.Random) -> float:
        if self.sigma is None:
            return rng.expovariate(1.0 / self.mean)
        if self.sigma <= 0:
            return self.mean
        return rng.lognormvariate(self.mu, self.sigma)

    @classmethod
    def from_percentiles(cls, p50: float, p90: float) -> ServiceTime:
        """The log-normal through a measured median and 90th percentile (z_0.9 = 1.2816)."""
        sigma = max(0.0, math.log(p90 / p50) / 1.2816) if p90 > p50 > 0 else 0.0
        return cls(p50 * math.exp(sigma**2 / 2), sigma)


class Station:
    def __init__(
        self,
        sim: Simulation,
        slots: int,
        service: ServiceTime,
        rng: random.Random,
        backlog: int | None = None,
    ) -> None:
        self.sim = sim
        self.backlog = backlog
        self.refused = 0
        self.slots = slots
        self.service = service
        self.rng = rng
        self.speed = 1.0
        self.up = True
        self._queue: deque[tuple[float, Finished]] = deque()
        # requests in service by job number; a job missing here when its end comes was lost
        # when the station went down (its end is then ignored rather than called off)
        self._serving: dict[int, Finished] = {}
        self._sigma = service.sigma
        self._mu = service.mu
        self._next_job = 0
        self._busy_seconds = 0.0
        self._busy_at = sim.now
        self.served = 0

    @property
    def capacity_rps(self) -> float:
        return self.slots * self.speed / self.service.mean

    @property
    def full(self) -> bool:
        """Whether a new request would find the backlog full (the caller refuses it)."""
        return self.backlog is not None and len(self._queue) >= self.backlog

    @property
    def busy(self) -> int:
        return len(self._serving)

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def busy_seconds(self) -> float:
        """Busy slots integrated over time, for utilisation."""
        self._account()
        return self._busy_seconds

    def _account(self) -> None:
        now = self.sim.now
        self._busy_seconds += len(self._serving) * (now - self._busy_at)
        self._busy_at = now

    def submit(self, finished: Finished, weight: float = 1.0) -> None:
        """Serve one request of ``weight`` mean service times; ``finished(ok)`` when done."""
        if not self.up:
            finished(False)
            return
        if len(self._serving) < self.slots:
            self._start(weight, finished)
        else:
            self._queue.append((weight, finished))

    def _start(self, weight: float, finished: Finished) -> None:
        now = self.sim.now  # _account(), spelled out: twice per request served
        self._busy_seconds += len(self._serving) * (now - self._busy_at)
        self._busy_at = now
        job = self._next_job
        self._next_job = job + 1
        sigma = self._sigma
        if sigma is not None and sigma > 0:
            # ServiceTime.draw inlined (rng.lognormvariate is exp of this very draw): this
            # runs for every request served
            draw = math.exp(self.rng.normalvariate(self._mu, sigma))
        else:
            draw = self.service.draw(self.rng)
        self.sim.after(weight * draw / self.speed, self._done, job)
        self._serving[job] = finished

    def _done(self, job: int) -> None:
        serving = self._serving
        if job not in serving:
            return  # lost when the station went down
        now = self.sim.now
        self._busy_seconds += len(serving) * (now - self._busy_at)
        self._busy_at = now
        finished = serving.pop(job)
        self.served += 1
        if self._queue:
            self._start(*self._queue.popleft())
        finished(True)

    def go_down(self) -> None:
        """The process dies: every request in it fails now."""
        self._account()
        self.up = False
        lost = [finished for _, finished in self._queue]
        lost.extend(self._serving.values())
        self._queue.clear()
        self._serving.clear()
        for finished in lost:
            finished(False)

    def come_up(self) -> None:
        self._account()
        self.up = True

"""A stand-in for a slow downstream system, to measure overload behaviour honestly.

A department's case-management system does not get faster when the website is busy: it works
on a fixed number of cases at once, each for a fixed time, and everything else waits in front
of it. A route that calls :meth:`BoundedBackend.process` therefore has a known capacity
(``concurrency / service_time`` requests per second) set by something other than the web
server's CPU, which is what an overload benchmark on a small machine needs.
"""

from __future__ import annotations

import asyncio


class BoundedBackend:
    """Processes ``concurrency`` cases at once, ``service_time`` seconds each, FIFO after that.

    Like a real backend it keeps working on a case even if the person who asked has gone.
    Create it inside the event loop that will use it (e.g. in the app's lifespan).
    """

    def __init__(self, concurrency: int = 8, service_time: float = 0.2) -> None:
        if concurrency < 1 or service_time < 0:
            raise ValueError("need concurrency >= 1 and service_time >= 0")
        self.concurrency = concurrency
        self.service_time = service_time
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def capacity(self) -> float:
        """Cases per second it can finish."""
        return self.concurrency / self.service_time if self.service_time else float("inf")

    async def process(self) -> None:
        async with self._slots:
            await asyncio.sleep(self.service_time)

"""The bounded backend used to benchmark admission control."""

from __future__ import annotations

import asyncio

import pytest

from northbound.lab.bounded_backend import BoundedBackend


async def test_bounded_backend_runs_at_most_its_concurrency() -> None:
    # A service time long against a loaded machine's scheduling delays: with 10 ms, a busy
    # CI worker finished the second case 18.3 ms in, past an 18 ms bound
    backend = BoundedBackend(concurrency=2, service_time=0.05)
    assert backend.capacity == pytest.approx(40.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    finished: list[float] = []

    async def one() -> None:
        await backend.process()
        finished.append(loop.time() - started)

    await asyncio.gather(*(one() for _ in range(4)))
    finished.sort()
    # Two finish together after one service time (the second ran beside the first, or it
    # would end a service time later); the other two wait for a slot and end a service time
    # after them. Gaps, not times from the start: a late loop shifts all four together.
    assert finished[1] - finished[0] < 0.025
    assert finished[2] - finished[1] >= 0.045


def test_bounded_backend_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        BoundedBackend(concurrency=0)

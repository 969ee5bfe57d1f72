"""The bounded backend used to benchmark admission control."""

from __future__ import annotations

import asyncio

import pytest

from northbound.lab.bounded_backend import BoundedBackend


async def test_bounded_backend_runs_at_most_its_concurrency() -> None:
    backend = BoundedBackend(concurrency=2, service_time=0.01)
    assert backend.capacity == pytest.approx(200.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    finished: list[float] = []

    async def one() -> None:
        await backend.process()
        finished.append(loop.time() - started)

    await asyncio.gather(*(one() for _ in range(4)))
    finished.sort()
    # Two finish after one service time, the other two wait for a slot: about two.
    assert finished[1] < 0.018 <= finished[2]


def test_bounded_backend_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        BoundedBackend(concurrency=0)

"""FlushSchedule: figures batched for Prometheus are handed over soon, and never held back."""

from __future__ import annotations

import asyncio

from northbound.surge.batching import FlushSchedule


def test_without_an_event_loop_every_change_is_handed_over_at_once() -> None:
    flushed: list[int] = []
    schedule = FlushSchedule(lambda: flushed.append(1), interval=1.0)
    schedule.changed(0.0)
    schedule.changed(0.1)
    assert len(flushed) == 2


async def test_on_a_loop_one_hand_over_per_interval() -> None:
    flushed: list[float] = []
    loop = asyncio.get_running_loop()
    schedule = FlushSchedule(lambda: flushed.append(loop.time()), interval=0.05)
    for _ in range(100):
        schedule.changed(loop.time())
    assert flushed == []
    await asyncio.sleep(0.12)
    assert len(flushed) == 1
    schedule.changed(loop.time())  # a new batch, a new timer
    await asyncio.sleep(0.12)
    assert len(flushed) == 2


async def test_a_lost_timer_does_not_hold_figures_back() -> None:
    flushed: list[int] = []
    schedule = FlushSchedule(lambda: flushed.append(1), interval=1.0)
    schedule._started = 10.0  # a timer whose event loop ended before it fired
    schedule.changed(10.5)
    assert flushed == []
    schedule.changed(12.5)  # the batch is over twice the interval old
    assert flushed == [1]

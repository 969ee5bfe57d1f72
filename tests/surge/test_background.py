"""A background task is ended for sure, even by one that swallows a cancel."""

from __future__ import annotations

import asyncio

from northbound.surge.background import cancel_and_wait


async def test_a_swallowed_cancel_is_asked_again() -> None:
    turns = 0

    async def stubborn() -> None:
        nonlocal turns
        while True:
            turns += 1
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if turns > 3:
                    raise
                current = asyncio.current_task()
                assert current is not None
                current.uncancel()

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(task), timeout=5)
    assert task.cancelled()


async def test_nothing_to_stop_and_a_task_that_ended_are_fine() -> None:
    await cancel_and_wait(None)

    async def quick() -> None:
        return None

    task = asyncio.create_task(quick())
    await task
    await cancel_and_wait(task)

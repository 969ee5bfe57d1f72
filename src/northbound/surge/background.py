"""Ending a background task for sure: the one way every periodic loop of the site is stopped.

``task.cancel()`` asks once. A library can swallow that request when it lands inside one of
its calls (the Redis client did: the waiting room's tick task, cancelled while it read the
shared line, went on ticking, and a server's graceful shutdown waited for it forever). So the
request is repeated until the task has ended; the second one lands, in practice, in the
loop's sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.2
"""How long to give a cancel before asking again. A loop stopped this way must end within it:
its clean-up (none of ours has any beyond closing a client) is cut short by the next cancel."""

_WARN_AFTER = 25  # asks, five seconds: a task still running then is stuck, say so once


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` and wait until it has ended, asking again while it runs on."""
    if task is None:
        return
    asks = 0
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RETRY_SECONDS)
        asks += 1
        if asks == _WARN_AFTER and not task.done():
            log.warning("background task %s still running after %d cancels", task.get_name(), asks)
    with contextlib.suppress(asyncio.CancelledError):
        task.result()

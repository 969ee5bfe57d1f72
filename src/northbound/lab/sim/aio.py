"""Running the surge code's coroutines on the virtual clock, without an asyncio loop.

The waiting room and the limiter are ``async`` because, in production, the room's store is
Redis and a request may wait in the limiter's queue. Against the in-process store a
coroutine runs to its end without ever suspending, so :func:`run_now` steps it once and
takes its result: no loop, no task, about a microsecond.

Where the code does suspend (a request waiting for a slot in :class:`Limiter`), it awaits an
``asyncio.Future`` made by, and timed by, the *running loop*. :class:`VirtualLoop` is that
loop as far as those calls go (``create_future``, ``call_soon``, ``call_later``, ``time``),
scheduling on the simulation's heap; :func:`spawn` resumes the coroutine when its future is
done, as an ``asyncio.Task`` would. The code under test is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from .events import Simulation, Timer

T = TypeVar("T")


class VirtualLoop:
    """The part of an event loop that ``asyncio.Future`` and the limiter use."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def get_debug(self) -> bool:
        return False

    def time(self) -> float:
        return self.sim.now

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)  # type: ignore[arg-type]

    def call_soon(self, callback: Callable[..., object], *args: Any, context: Any = None) -> Timer:
        return self.sim.timer(self.sim.now, callback, *args)

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> Timer:
        return self.sim.timer(self.sim.now + delay, callback, *args)

    def call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> Timer:
        return self.sim.timer(when, callback, *args)


@contextlib.contextmanager
def running(loop: VirtualLoop) -> Iterator[None]:
    """Make ``loop`` what ``asyncio.get_running_loop()`` answers while the block runs."""
    previous = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(loop)  # type: ignore[arg-type]
    try:
        yield
    finally:
        asyncio.events._set_running_loop(previous)


class Suspended(RuntimeError):
    """A coroutine expected to finish at once waited for something."""


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that does not suspend (the in-process store's calls)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise Suspended("the coroutine suspended; use spawn()")


def spawn(
    coroutine: Coroutine[Any, Any, T],
    done: Callable[[T | None, BaseException | None], None],
) -> None:
    """Run ``coroutine`` now and call ``done(result, error)`` when it ends, at once if it
    never suspends, else when the futures it awaits are resolved on the virtual clock."""

    def step(_: object = None) -> None:
        try:
            awaited = coroutine.send(None)
        except StopIteration as finished:
            done(finished.value, None)
            return
        except Exception as error:  # handed to the caller, as a Task would
            done(None, error)
            return
        if not isinstance(awaited, asyncio.Future):
            coroutine.close()
            done(None, Suspended(f"awaited {awaited!r}, not a future"))
            return
        awaited.add_done_callback(step)

    step()

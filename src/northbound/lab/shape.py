"""What the Locust integration needs that does not need Locust (so it is tested without
gevent's monkey-patching): the user count a profile calls for, and a way to run a journey
coroutine to its end without an event loop.

Locust users are a closed loop: a user does a journey, then the next one. To offer a
profile's *arrival rate* with them, Little's law gives the users needed:

    users(t) = arrivals per second at t x seconds per journey

``seconds_per_journey`` is what a journey takes on the site (reading time included); too low
a figure under-offers, so measure it with ``lab run`` first (the report's journey median).
"""

from __future__ import annotations

import math
from collections.abc import Coroutine
from typing import Any, TypeVar

from .profiles import Schedule

T = TypeVar("T")


def users_at(schedule: Schedule, second: float, seconds_per_journey: float) -> int | None:
    """Locust users at run ``second``; None once the run is over (Locust then stops)."""
    if second >= schedule.duration:
        return None
    return max(1, math.ceil(schedule.rate_at(second) * seconds_per_journey))


class Suspended(RuntimeError):
    """A journey waited on an event loop, which a Locust user does not run."""


def drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion in this thread, with no event loop.

    The journeys are coroutines so the crowd can run thousands at once on asyncio; under
    Locust every wait is a blocking call that gevent turns into a switch to another user, so
    nothing in them ever suspends and one ``send`` runs the journey to its end.
    """
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise Suspended("a journey awaited something that needs an event loop")

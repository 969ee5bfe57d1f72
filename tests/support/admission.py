"""Helpers shared by the admission-control tests: a limiter on a fixed limit and a fake clock,
and permits taken from it."""

from __future__ import annotations

from typing import Any

from northbound.surge.admission import FixedLimit, Limiter, Permit, Priority
from tests.support.clock import FakeClock


def limiter(limit: int = 10, **kwargs: Any) -> Limiter:
    """A limiter of ``limit`` slots (its clock a :class:`FakeClock` unless given)."""
    kwargs.setdefault("clock", FakeClock(50.0))
    return Limiter(FixedLimit(limit), **kwargs)


def take(lim: Limiter, priority: Priority, count: int) -> list[Permit]:
    """``count`` permits of ``priority``, each granted at once (failing the test if not)."""
    permits = [lim.try_acquire(priority) for _ in range(count)]
    assert all(p is not None for p in permits)
    return [p for p in permits if p is not None]

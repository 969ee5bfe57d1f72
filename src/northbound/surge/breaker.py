"""A circuit breaker: stop calling a dependency that keeps failing, and probe it now and then.

Generic (the site wraps its database with it). States:

* ``closed``: calls go through; ``failure_threshold`` failures in a row open the circuit. A call
  slower than ``slow_call_seconds`` (if set) counts as a failure even if it succeeded, because a
  database that answers in 20 s is down as far as a person waiting for a page is concerned.
* ``open``: calls fail at once with :class:`CircuitOpenError` (no waiting on a dead dependency)
  for ``reset_timeout`` seconds.
* ``half_open``: up to ``half_open_max_calls`` probe calls go through at once; a success closes
  the circuit, a failure opens it for another ``reset_timeout``.

Only exceptions that are instances of ``failure_types`` count; anything else (a constraint
violation caused by bad input, say) passes through as a success for the breaker's purposes. A
cancelled call counts as neither. When a type is not enough to tell, ``judge`` decides instead:
True a failure, False a success, None no verdict (an error that was already counted).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import ParamSpec, TypeVar

from prometheus_client import Counter, Gauge

from northbound.surge.types import MONOTONIC, Clock

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BreakerMetrics:
    state: Gauge
    rejected: Counter


@cache
def breaker_metrics(namespace: str) -> BreakerMetrics:
    """Figures named ``<namespace>_surge_breaker_*``, labelled by breaker; made once per
    namespace (a process registers a name once) and shared by every breaker of the process."""
    return BreakerMetrics(
        state=Gauge(
            "breaker_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            ["name"],
            multiprocess_mode="livemax",
            namespace=namespace,
            subsystem="surge",
        ),
        rejected=Counter(
            "breaker_rejected_total",
            "Calls refused at once because the circuit was open.",
            ["name"],
            namespace=namespace,
            subsystem="surge",
        ),
    )


class BreakerState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


_GAUGE_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class CircuitOpenError(Exception):
    """The dependency is considered down; try again after ``retry_after`` seconds."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"circuit {name!r} is open; retry in {retry_after:.1f} s")
        self.name = name
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(
        self,
        name: str = "database",
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 10.0,
        half_open_max_calls: int = 1,
        slow_call_seconds: float | None = None,
        failure_types: tuple[type[BaseException], ...] = (Exception,),
        judge: Callable[[BaseException], bool | None] | None = None,
        clock: Clock = MONOTONIC,
        metrics: BreakerMetrics | None = None,
    ) -> None:
        if failure_threshold < 1 or half_open_max_calls < 1 or reset_timeout <= 0:
            raise ValueError("threshold and probe count must be >= 1, reset_timeout > 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.half_open_max_calls = half_open_max_calls
        self.slow_call_seconds = slow_call_seconds
        self.failure_types = failure_types
        self.judge = judge or (lambda error: isinstance(error, failure_types))
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probes = 0
        self._metrics = metrics
        if metrics is not None:
            metrics.state.labels(name).set(0)

    @property
    def state(self) -> BreakerState:
        """Current state; an open circuit whose timeout has passed reads as half-open."""
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.reset_timeout
        ):
            self._move(BreakerState.HALF_OPEN)
        return self._state

    @property
    def retry_after(self) -> float:
        """Seconds until an open circuit lets a probe through (0 unless open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.reset_timeout - (self._clock() - self._opened_at))

    def _move(self, state: BreakerState) -> None:
        self._state = state
        if state is BreakerState.OPEN:
            self._opened_at = self._clock()
        if state is not BreakerState.HALF_OPEN:
            self._probes = 0
        if self._metrics is not None:
            self._metrics.state.labels(self.name).set(_GAUGE_VALUE[state])

    # Low-level API, for callers that cannot wrap the call in a function or a block.
    def before_call(self) -> None:
        """Raise :class:`CircuitOpenError` unless a call may go ahead now."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and self._probes < self.half_open_max_calls:
            self._probes += 1
            return
        if self._metrics is not None:
            self._metrics.rejected.labels(self.name).inc()
        raise CircuitOpenError(self.name, self.retry_after or self.reset_timeout)

    def record_success(self, duration: float = 0.0) -> None:
        if self.slow_call_seconds is not None and duration > self.slow_call_seconds:
            self.record_failure()
            return
        self._failures = 0
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.OPEN)
            return
        self._failures += 1
        if self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold:
            self._failures = 0
            self._move(BreakerState.OPEN)

    def record_cancelled(self) -> None:
        """A call that was abandoned tells nothing; free its probe slot if it had one."""
        if self._state is BreakerState.HALF_OPEN and self._probes > 0:
            self._probes -= 1

    @asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """``async with breaker.guard(): ...`` runs the block under the breaker."""
        self.before_call()
        started = self._clock()
        try:
            yield
        except asyncio.CancelledError:
            self.record_cancelled()
            raise
        except BaseException as error:
            verdict = self.judge(error)
            if verdict is None:
                self.record_cancelled()
            elif verdict:
                self.record_failure()
            else:
                self.record_success(self._clock() - started)
            raise
        self.record_success(self._clock() - started)

    async def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``fn(*args, **kwargs)`` under the breaker."""
        async with self.guard():
            return await fn(*args, **kwargs)

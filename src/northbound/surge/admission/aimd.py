"""Additive increase, multiplicative decrease (the TCP congestion-avoidance rule)."""

from __future__ import annotations

import math

from northbound.surge.admission.limit import DEFAULT_CLOCK, Sample, clamp
from northbound.surge.types import Clock


class AIMDLimit:
    """Loss-based limit: grow by one while busy and healthy, shrink by a ratio on trouble.

    For each sample:

    * trouble (``dropped`` or ``rtt > timeout``)::

          limit = max(min_limit, floor(limit * backoff_ratio))

      at most once per ``backoff_interval`` seconds, so one burst of slow requests (which all
      finish at about the same moment) counts as one congestion event, not twenty.
    * otherwise, if the limit is actually being used (``in_flight * 2 >= limit``)::

          limit = min(max_limit, limit + 1)

      An idle service gives no evidence that more would be fine, so it does not grow.

    Defaults: initial 20, min 4, max 200, backoff_ratio 0.9, timeout 2.0 s,
    backoff_interval 0.1 s.
    """

    def __init__(
        self,
        *,
        initial_limit: int = 20,
        min_limit: int = 4,
        max_limit: int = 200,
        backoff_ratio: float = 0.9,
        timeout: float = 2.0,
        backoff_interval: float = 0.1,
        clock: Clock = DEFAULT_CLOCK,
    ) -> None:
        if not 1 <= min_limit <= max_limit:
            raise ValueError("need 1 <= min_limit <= max_limit")
        if not 0.0 < backoff_ratio < 1.0:
            raise ValueError("backoff_ratio must be between 0 and 1")
        self._limit = int(clamp(initial_limit, min_limit, max_limit))
        self.min_limit = min_limit
        self.max_limit = max_limit
        self.backoff_ratio = backoff_ratio
        self.timeout = timeout
        self.backoff_interval = backoff_interval
        self._clock = clock
        self._last_backoff = -math.inf

    @property
    def limit(self) -> int:
        return self._limit

    def on_sample(self, sample: Sample) -> None:
        if sample.dropped or sample.rtt > self.timeout:
            now = self._clock()
            if now - self._last_backoff >= self.backoff_interval:
                self._last_backoff = now
                shrunk = math.floor(self._limit * self.backoff_ratio)
                self._limit = max(self.min_limit, min(shrunk, self._limit - 1))
            return
        if sample.in_flight * 2 >= self._limit:
            self._limit = min(self.max_limit, self._limit + 1)

"""Estimated wait from the measured outflow of the line.

The inlet advances the serving number; how fast it moved over the last window is the outflow
(skipped places of people who left count too: they shorten everyone's wait just the same).
A visitor ``ahead`` places from the front waits about ``ahead / rate``; the range comes from the
slowest and fastest sixth of the window.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple


class Estimate(NamedTuple):
    seconds: int
    low_seconds: int
    high_seconds: int


class OutflowEstimator:
    def __init__(self, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self._samples: deque[tuple[float, int]] = deque()
        self._rate = 0.0
        self._slow = 0.0
        self._fast = 0.0

    def observe(self, now: float, serving: int) -> None:
        samples = self._samples
        if samples and serving < samples[-1][1]:
            samples.clear()  # the line was reset
        samples.append((now, serving))
        while len(samples) > 2 and now - samples[1][0] >= self.window_seconds:
            samples.popleft()
        self._recompute()

    def _recompute(self) -> None:
        samples = self._samples
        first_time, first_serving = samples[0]
        last_time, last_serving = samples[-1]
        span = last_time - first_time
        if span <= 0:
            self._rate = self._slow = self._fast = 0.0
            return
        self._rate = (last_serving - first_serving) / span
        slice_seconds = max(span / 6, 1e-9)
        rates: list[float] = []
        start_time, start_serving = first_time, first_serving
        for time, serving in samples:
            if time - start_time >= slice_seconds:
                rates.append((serving - start_serving) / (time - start_time))
                start_time, start_serving = time, serving
        self._slow = min(rates, default=self._rate)
        self._fast = max(rates, default=self._rate)

    @property
    def rate(self) -> float:
        """Places per second the front of the line moved over the window."""
        return self._rate

    def estimate(self, ahead: int) -> Estimate | None:
        if ahead <= 0:
            return Estimate(0, 0, 0)
        if self._rate <= 0:
            return None
        seconds = ahead / self._rate
        fast = max(self._fast, self._rate)
        slow = min(self._slow, self._rate)
        low = ahead / fast
        high = ahead / slow if slow > 0 else seconds * 2
        # tuple.__new__ skips NamedTuple's keyword handling: this runs on every poll
        estimate: Estimate = tuple.__new__(Estimate, (round(seconds), round(low), round(high)))
        return estimate

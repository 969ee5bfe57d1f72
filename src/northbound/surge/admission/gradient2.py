"""Gradient2: a latency-based limit comparing recent round-trip time with its long-run average.

After the algorithm of the same name in Netflix's concurrency-limits, re-derived here.
"""

from __future__ import annotations

import statistics

from northbound.surge.admission.limit import DEFAULT_CLOCK, Sample, clamp
from northbound.surge.types import Clock


class Gradient2Limit:
    """Grow while recent latency matches the long-run norm; shrink in proportion when it rises.

    Samples are grouped into short windows: a window closes once it is at least
    ``window_seconds`` old *and* holds ``min_window_samples`` samples. When it closes, with
    ``short`` = *median* RTT of the window and ``busy`` = largest in-flight count seen in it::

        long  = long + (short - long) / long_window        # slow moving average of the norm,
                                                           # x congested_drift slower while
                                                           # short > tolerance * long
        long  = long * 0.95   if long / short > 2          # forget a stale, high norm quickly
        if busy < limit / 2:                               # an idle service tells nothing
            limit = limit + (initial - limit) * smoothing  # about capacity: relax towards the
            (stop here)                                    # prior, never below it
        gradient = clamp(tolerance * long / short, 0.5, 1.0)   # 0.5 if the window had drops
        target   = limit * gradient + queue_size
        limit    = clamp(limit * (1 - smoothing) + target * smoothing, min_limit, max_limit)

    While latency stays within ``tolerance`` x the norm, the gradient is 1 and the limit creeps
    up by ``smoothing * queue_size`` per window; past it the limit falls towards
    ``limit * tolerance * long / short``, but never by more than half in one step.

    Why the median: a portal's requests are not alike. One sign-in that waits for a password
    hash, or one slow upload, takes a hundred times a page; with the mean, a window holding one
    of them reads as a hundredfold slowdown and the limit halves, again and again, while the
    server is in fact idle (seen in a crowd test: the limit fell from 20 to 8 with nothing in
    flight). Overload slows *most* requests, so the median sees it; a few slow ones it ignores.

    Why the relaxation: the limit only moves on windows of finished requests. After a real or
    mistaken fall, a quiet service (too little traffic to fill half the limit) would keep the
    low limit forever, and the next burst would be refused at a limit nobody measured. So a
    limit below ``initial_limit`` drifts back towards it while the service is quiet; once the
    service is busy again, the gradient takes over. The relaxation never raises a limit above
    its initial value: growth past it needs evidence.

    The slower drift while congested is a departure from Netflix's version: there, a queue that
    stands for ``long_window`` windows becomes the new norm and the limit climbs back to the
    maximum. Here a standing queue is absorbed ten times more slowly, while a service that truly
    became slower is still adopted in the end.

    Defaults: initial 20, min 4, max 200, smoothing 0.2, tolerance 1.5, long_window 600
    windows, congested_drift 10, queue_size 4, window_seconds 0.25, min_window_samples 10. The
    first
    ``warmup_windows`` (10) windows seed the norm with a plain average and do not move the limit.
    """

    def __init__(
        self,
        *,
        initial_limit: int = 20,
        min_limit: int = 4,
        max_limit: int = 200,
        smoothing: float = 0.2,
        tolerance: float = 1.5,
        long_window: int = 600,
        congested_drift: float = 10.0,
        queue_size: int = 4,
        window_seconds: float = 0.25,
        min_window_samples: int = 10,
        warmup_windows: int = 10,
        clock: Clock = DEFAULT_CLOCK,
    ) -> None:
        if not 1 <= min_limit <= max_limit:
            raise ValueError("need 1 <= min_limit <= max_limit")
        if not 0.0 < smoothing <= 1.0:
            raise ValueError("smoothing must be in (0, 1]")
        if tolerance < 1.0:
            raise ValueError("tolerance must be at least 1.0")
        self.min_limit = min_limit
        self.max_limit = max_limit
        self.smoothing = smoothing
        self.tolerance = tolerance
        self.long_window = max(1, long_window)
        self.congested_drift = max(1.0, congested_drift)
        self.queue_size = queue_size
        self.window_seconds = window_seconds
        self.min_window_samples = max(1, min_window_samples)
        self.warmup_windows = max(1, warmup_windows)
        self._clock = clock
        self._estimate = clamp(float(initial_limit), min_limit, max_limit)
        self._prior = self._estimate
        self._long_rtt = 0.0
        self._windows_seen = 0
        self._reset_window(clock())

    @property
    def limit(self) -> int:
        return int(self._estimate)

    @property
    def long_rtt(self) -> float:
        """The current long-run RTT norm, in seconds (0 before the first window)."""
        return self._long_rtt

    def _reset_window(self, now: float) -> None:
        self._window_start = now
        self._window_rtts: list[float] = []
        self._window_busy = 0
        self._window_dropped = False

    def on_sample(self, sample: Sample) -> None:
        self._window_rtts.append(max(sample.rtt, 1e-6))
        self._window_busy = max(self._window_busy, sample.in_flight)
        self._window_dropped = self._window_dropped or sample.dropped
        now = self._clock()
        if (
            now - self._window_start >= self.window_seconds
            and len(self._window_rtts) >= self.min_window_samples
        ):
            short_rtt = statistics.median(self._window_rtts)
            self._close_window(short_rtt, self._window_busy, self._window_dropped)
            self._reset_window(now)

    def _close_window(self, short_rtt: float, busy: int, dropped: bool) -> None:
        self._windows_seen += 1
        if self._windows_seen <= self.warmup_windows:
            # Plain running mean while there are too few windows for a moving average to mean much.
            self._long_rtt += (short_rtt - self._long_rtt) / self._windows_seen
            return
        window = float(self.long_window)
        if short_rtt > self.tolerance * self._long_rtt:
            window *= self.congested_drift
        self._long_rtt += (short_rtt - self._long_rtt) / window
        if self._long_rtt / short_rtt > 2.0:
            self._long_rtt *= 0.95
        if busy < self._estimate / 2 and not dropped:
            if self._estimate < self._prior:
                self._estimate += (self._prior - self._estimate) * self.smoothing
            return
        gradient = 0.5 if dropped else clamp(self.tolerance * self._long_rtt / short_rtt, 0.5, 1.0)
        target = self._estimate * gradient + self.queue_size
        smoothed = self._estimate * (1.0 - self.smoothing) + target * self.smoothing
        self._estimate = clamp(smoothed, self.min_limit, self.max_limit)

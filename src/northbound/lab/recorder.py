"""What the crowd measured: every request's outcome, counted as it happens.

Latency is taken from each request's *intended* send time, the moment the person meant to
send it (their arrival, or the end of their think time), not from when the generator got
round to sending it. A stalled server or a stalled generator therefore shows up as latency
instead of as requests that were silently never sent (coordinated omission, Gil Tene). The
values go into HDR histograms (``hdrhistogram``): one for the whole run and one per window
for the series, 1 ms to 10 minutes at 3 significant digits.

Goodput counts *useful* answers (2xx and 3xx that are neither a waiting page nor a refusal)
that came back within ``good_within`` seconds of their intended send time, per second of
completion; offered load counts requests per second of intended send time. Goodput is also
counted for *dynamic* answers alone, the ones the site worked out for the request: a
pre-rendered information page or asset costs a site a few microseconds whoever it is, so a
site that holds people back during a peak (a waiting room) serves fewer of those then, and
later, while what it does for people (forms, tools, applications) is the figure that tells
the defences apart.

Two latency figures: every answer (``latency``: what the crowd waited for, refusals and
waiting pages included), and the useful answers alone (``served_latency``: how fast the site
served the requests it took on). A contender that refuses much of the crowd with an instant
503 has a low p99 of every answer because its refusals are quick; comparing what each site
*served* needs the second figure.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from hdrh.histogram import HdrHistogram

Outcome = Literal["useful", "waiting", "refused", "failed"]
LOWEST_MS, HIGHEST_MS, DIGITS = 1, 600_000, 3
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_MS, HIGHEST_MS, DIGITS)


def percentiles_of(histogram: HdrHistogram) -> dict[str, float | None]:
    """p50, p90, p99 and p999 in ms (None when nothing was recorded)."""
    names = ("p50", "p90", "p99", "p999")
    if histogram.get_total_count() == 0:
        return dict.fromkeys(names)
    return {
        name: float(histogram.get_value_at_percentile(p))
        for name, p in zip(names, PERCENTILES, strict=True)
    }


@dataclass
class Recorder:
    """Counts of one run; times are run seconds (0 = start of the surge)."""

    good_within: float = 2.0
    window: float = 5.0  # seconds per point of the latency series
    statuses: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    offered: Counter[int] = field(default_factory=Counter)  # by second of intended send
    good: Counter[int] = field(default_factory=Counter)  # by second of completion
    good_dynamic: Counter[int] = field(default_factory=Counter)  # the same, not pre-rendered
    served: Counter[int] = field(default_factory=Counter)  # useful answers, any latency
    latency: HdrHistogram = field(default_factory=new_histogram)  # every answer
    served_latency: HdrHistogram = field(default_factory=new_histogram)  # useful answers
    windows: dict[int, HdrHistogram] = field(default_factory=dict)
    send_lateness: HdrHistogram = field(default_factory=new_histogram)

    def intend(self, intended: float) -> None:
        """A person meant to send a request at ``intended``."""
        self.offered[int(intended)] += 1

    def sent(self, intended: float, actual: float) -> None:
        """How late the generator sent it (its own lag, not the server's)."""
        self.send_lateness.record_value(max(LOWEST_MS, round((actual - intended) * 1000)))

    def answered(
        self,
        intended: float,
        done: float,
        status: int,
        outcome: Outcome,
        pre_rendered: bool = False,
    ) -> None:
        """``pre_rendered``: the answer is a pre-rendered page or asset (see the module
        docstring, and :func:`~.browser.pre_rendered`, which tells)."""
        self.statuses[str(status)] += 1
        self.outcomes[outcome] += 1
        elapsed_ms = min(HIGHEST_MS, max(LOWEST_MS, math.ceil((done - intended) * 1000)))
        self.latency.record_value(elapsed_ms)
        window = int(intended // self.window)
        histogram = self.windows.get(window)
        if histogram is None:
            histogram = self.windows[window] = new_histogram()
        histogram.record_value(elapsed_ms)
        if outcome == "useful":
            self.served_latency.record_value(elapsed_ms)
            self.served[int(done)] += 1
            if done - intended <= self.good_within:
                self.good[int(done)] += 1
                if not pre_rendered:
                    self.good_dynamic[int(done)] += 1

    def failed(self, kind: str) -> None:
        """No HTTP answer: ``timeout``, ``reset``, ``refused`` or ``other``."""
        self.transport_errors[kind] += 1
        self.outcomes["failed"] += 1

    def total_requests(self) -> int:
        return sum(self.offered.values())

"""What an estimate is, how one is measured from decisions, and the snapshot pages read.

The measured rule follows what the published estimates mean: the number of days within which
*most* applications of a type were decided recently. "Most" is 80 %: the time by which four in
five applications decided in the last six months had their decision, counted from the day the
complete application arrived (nearest-rank percentile, rounded up to whole days). Below a
minimum number of decisions the figure would say more about a few files than about the queue,
so none is given and the published one (if any) stands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

MOST = 0.8
MIN_DECISIONS = 10
WINDOW_DAYS = 183
MAX_DAYS = 3650  # ten years: anything longer is a typing mistake, not an estimate


@dataclass(frozen=True, slots=True)
class Estimate:
    days: int
    source: Literal["published", "measured"]
    published_on: date | None = None  # the day staff published it (published estimates)
    decisions: int = 0  # how many decisions it rests on (measured estimates)


def days_for_most(
    durations_days: Sequence[float], share: float = MOST, minimum: int = MIN_DECISIONS
) -> int | None:
    """Whole days within which ``share`` of the applications were decided, or None if too few.

    >>> days_for_most([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    8
    """
    if len(durations_days) < max(minimum, 1):
        return None
    ordered = sorted(durations_days)
    rank = max(math.ceil(share * len(ordered)), 1)
    return max(math.ceil(ordered[rank - 1]), 1)


class EstimateBook:
    """The estimates as of the last refresh, held in memory for the pages and the API.

    Replaced as a whole (one assignment), so a reader sees the old snapshot or the new one.
    A measured estimate, where the site has one, wins over a published one: it is newer by
    construction and comes from the queue itself.
    """

    def __init__(self) -> None:
        self._published: Mapping[tuple[str, str], Estimate] = {}
        self._measured: Mapping[str, Estimate] = {}
        self.refreshed_at: datetime | None = None

    def replace(
        self,
        published: Mapping[tuple[str, str], Estimate],
        measured: Mapping[str, Estimate],
        at: datetime,
    ) -> None:
        self._published, self._measured = dict(published), dict(measured)
        self.refreshed_at = at

    def lookup(self, application_type: str, country: str = "") -> Estimate | None:
        measured = self._measured.get(application_type)
        if measured is not None:
            return measured
        return self._published.get((application_type, country)) or (
            self._published.get((application_type, "")) if country else None
        )

    def published(self) -> Mapping[tuple[str, str], Estimate]:
        return self._published

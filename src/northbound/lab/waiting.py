"""The waiting room as the crowd saw it: figures computed only from what people were shown
and when, never from the site's own counters (those are what is being checked).

- ``max_line``: the most people at once between their first waiting page and the moment they
  were let in or gave up;
- ``admitted``: people let in after waiting;
- ETA error: for each person let in with an estimate on their first waiting page,
  ``|first estimate - actual wait| / actual wait``; median and p90, of every estimate and of
  those whose *wait ended while the crowd still came* (let in before arrivals stopped). Why
  both: a run's crowd stops arriving at once at its end, which no real night does (election
  night ends at seven times the usual load). The site's own crowd and its open pages then go,
  and the line drains several times faster: a wait that runs past that moment was shortened
  by the lab, and an estimate read from the line's speed so far turns out two to three times
  it (the lab's election night at twice capacity: estimates shown 100-120 s into the run,
  60-80 s shown, 31-37 s waited). The second figure leaves out exactly the waits the end can
  have touched. It is chosen by outcome, so near the end only the shorter waits qualify: it
  keeps an estimate that was too long only if the wait still ended in time. In one run (a
  build of 9c25519 that logged every visit) the two figures were 0.25 / 1.28 and 0.18 / 0.31
  (median / p90); choosing by the estimate instead (due before the end) gave 0.17 / 0.30.
  The first figure is the whole run as people saw it; the second is what the estimator can
  be asked to foresee;
- range coverage: of the same people, the share whose wait fell within the range shown with
  that first estimate ("between 2 and 4 minutes"; a second's slack either side, the page's
  waits being whole seconds counted to the poll that finds the person in); all, and waits
  ended while the crowd came. The point estimate's error says how far off the page was; this
  says whether the page's own hedge was honest;
- ``out_of_order``: people let in while someone with an earlier place was still being shown
  the waiting page afterwards (place p, let in at t; someone with place q < p saw a waiting
  page after t). Refreshing every few seconds cannot cause that: once the room has let p in,
  everyone ahead of p is let in at their next look;
- ``shed_on_admission``: people let in whose first page after the room was a 503;
- ``stalled_windows``: five-second windows in which someone was waiting and nobody was served
  a useful page (the room kept people out while the site sat idle).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .browser import RoomVisit


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _shown_and_waited(v: RoomVisit) -> tuple[float, float] | None:
    """The first wait ``v`` was shown, and how long they then waited to be let in."""
    if v.admitted_at is None or v.estimate_seconds is None:
        return None
    shown_at = v.estimate_shown_at if v.estimate_shown_at is not None else v.first_seen
    return v.estimate_seconds, v.admitted_at - shown_at


def _graded(
    visits: Iterable[RoomVisit], ended_by: float
) -> Iterator[tuple[RoomVisit, float, float]]:
    """Each person let in by ``ended_by`` (run seconds) who was shown an estimate, with the
    estimate and the wait they then had (a positive one)."""
    for v in visits:
        if v.admitted_at is not None and v.admitted_at <= ended_by:
            pair = _shown_and_waited(v)
            if pair is not None and pair[1] > 0:
                yield v, pair[0], pair[1]


def eta_errors(visits: Iterable[RoomVisit], ended_by: float = math.inf) -> list[float]:
    """|shown - waited| / waited of each person's first estimate, counted from when it was
    shown (a person who joined before the line had a speed saw theirs a poll or two later);
    only of waits that ended (the person let in) by ``ended_by`` (run seconds), if given."""
    return [abs(shown - waited) / waited for _, shown, waited in _graded(visits, ended_by)]


def range_hits(visits: Iterable[RoomVisit], ended_by: float = math.inf) -> list[bool]:
    """Whether each wait counted by :func:`eta_errors` fell within the range shown with its
    first estimate (a second's slack either side); waits whose range was not read are left
    out."""
    return [
        v.estimate_low_seconds - 1 <= waited <= v.estimate_high_seconds + 1
        for v, _, waited in _graded(visits, ended_by)
        if v.estimate_low_seconds is not None and v.estimate_high_seconds is not None
    ]


def _coverage(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def _error_figures(name: str, errors: list[float]) -> dict[str, Any]:
    """Median, p90 and count of ``errors``, under the report's keys for ``name``."""
    return {
        f"{name}_relative_error_median": statistics.median(errors) if errors else None,
        f"{name}_relative_error_p90": _quantile(errors, 0.9),
        f"{name}_samples": len(errors),
    }


def out_of_order(visits: Iterable[RoomVisit]) -> int:
    """People let in ahead of someone with an earlier place (see the module's text)."""
    placed = sorted((v for v in visits if v.position is not None), key=lambda v: v.position or 0)
    count = 0
    latest_wait_ahead = -math.inf  # latest waiting page seen by anyone with an earlier place
    index = 0
    while index < len(placed):
        # people with the same place (several rooms or instances) do not outrank each other
        same = [placed[index]]
        while (
            index + len(same) < len(placed)
            and placed[index + len(same)].position == same[0].position
        ):
            same.append(placed[index + len(same)])
        for v in same:
            if v.admitted_at is not None and latest_wait_ahead > v.admitted_at:
                count += 1
        for v in same:
            latest_wait_ahead = max(latest_wait_ahead, v.last_seen)
        index += len(same)
    return count


def line_series(visits: Iterable[RoomVisit], duration: float, step: float = 1.0) -> list[int]:
    """People in line at each ``step`` of the run."""
    starts, ends = [], []
    for v in visits:
        starts.append(v.first_seen)
        end = v.admitted_at if v.admitted_at is not None else v.last_seen
        ends.append(end)
    starts.sort()
    ends.sort()
    points = max(1, math.ceil(duration / step))
    return [
        bisect.bisect_right(starts, i * step) - bisect.bisect_right(ends, i * step)
        for i in range(points)
    ]


def admission_series(visits: Iterable[RoomVisit], duration: float) -> list[int]:
    """People let in from the room per second."""
    counts = [0] * max(1, math.ceil(duration))
    for v in visits:
        if v.admitted_at is not None and 0 <= v.admitted_at < len(counts):
            counts[int(v.admitted_at)] += 1
    return counts


def stalled_windows(line: list[int], served: Mapping[int, int], window: int = 5) -> int:
    """Whole windows of ``window`` seconds with people in line and no useful page served (the
    run's last seconds, cut short by its end, are not a window: one second with someone still
    in line when the crowd stops counted as a stall)."""
    stalled = 0
    for start in range(0, len(line) - window + 1, window):
        waiting = any(n > 0 for n in line[start : start + window])
        useful = sum(served.get(s, 0) for s in range(start, start + window))
        if waiting and useful == 0:
            stalled += 1
    return stalled


def summary(
    visits: list[RoomVisit],
    duration: float,
    served: Mapping[int, int],
    arrivals_end: float = math.inf,
) -> dict[str, Any]:
    """The room's figures (see the module's text) over a run of ``duration`` seconds whose
    crowd stopped arriving at ``arrivals_end``."""
    line = line_series(visits, duration)
    admitted = [v for v in visits if v.admitted_at is not None]
    waits = [v.admitted_at - v.first_seen for v in admitted if v.admitted_at is not None]
    estimates = [pair for pair in map(_shown_and_waited, admitted) if pair is not None]
    return {
        "people_in_room": len(visits),
        "max_line": max(line, default=0),
        "admitted": len(admitted),
        "gave_up_in_line": sum(1 for v in visits if v.gave_up),
        **_error_figures("eta", eta_errors(visits)),
        **_error_figures("eta_in_crowd", eta_errors(visits, ended_by=arrivals_end)),
        "eta_range_coverage": _coverage(range_hits(visits)),
        "eta_in_crowd_range_coverage": _coverage(range_hits(visits, ended_by=arrivals_end)),
        "out_of_order": out_of_order(visits),
        "shed_on_admission": sum(1 for v in admitted if v.shed_on_admission),
        "stalled_windows": stalled_windows(line, served),
        "wait_seconds_median": statistics.median(waits) if waits else None,
        "line_series": line,
        "admission_series": admission_series(visits, duration),
        "estimated_vs_actual": [[round(e, 1), round(a, 1)] for e, a in estimates[:2000]],
    }

"""How the admission rate answers a step in capacity: reaction, overshoot, oscillation.

On the admission series ``a`` (people let in per second), smoothed by a moving average of
``smooth`` seconds, for a step at ``T`` lasting ``D`` seconds::

    before   = mean(a[T - settle, T))                    the level it left
    after    = mean(a[T + settle, T + D))                the level it found
    reaction = first t >= T with |a(t) - before| >= |before - after| / 2, minus T
    overshoot = largest excursion past ``after``, away from ``before``, in [T, T + D),
                as a share of the step |before - after|   (0 = none, 1 = went as far again)
    oscillation = standard deviation of a over [T + settle, T + D) / after

A controller that overshoots lets in more than the site can take, or starves the line, after
every change; one that oscillates makes estimates that are never right twice.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StepResponse:
    at: float
    before: float
    after: float
    reaction_seconds: float | None
    overshoot: float | None
    oscillation: float | None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def smoothed(values: list[int], smooth: int) -> list[float]:
    out: list[float] = []
    total = 0.0
    for i, value in enumerate(values):
        total += value
        if i >= smooth:
            total -= values[i - smooth]
        out.append(total / min(i + 1, smooth))
    return out


def step_response(
    series: list[int], at: float, seconds: float, *, settle: float = 60.0, smooth: int = 10
) -> StepResponse | None:
    start, end = int(at), int(at + seconds)
    if start - settle < 0 or end > len(series) or seconds <= 2 * settle:
        return None
    rate = smoothed(series, smooth)
    before = statistics.fmean(rate[int(start - settle) : start])
    after = statistics.fmean(rate[int(start + settle) : end])
    step = after - before
    if abs(step) < 1e-9:
        return StepResponse(at, before, after, None, None, None)
    direction = 1.0 if step > 0 else -1.0
    reaction = next(
        (t - start for t in range(start, end) if abs(rate[t] - before) >= abs(step) / 2), None
    )
    beyond = max(direction * (r - after) for r in rate[start:end])
    spread = statistics.pstdev(rate[int(start + settle) : end])
    return StepResponse(
        at,
        before,
        after,
        float(reaction) if reaction is not None else None,
        max(0.0, beyond) / abs(step),
        spread / after if after > 0 else None,
    )

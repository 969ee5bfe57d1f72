"""How many people to let in on one tick: the closed loop.

Admission control says how many requests this instance may have in flight (``limit``) and how
many it has (``in_flight``). The inlet learns how many requests in flight one pass holder
causes on average (``per_holder``, an exponentially weighted mean of ``in_flight / active``)
and fills the site to a target share of its limit::

    target_holders = target_utilisation * limit / per_holder
    admit          = target_holders - active - pending

``active`` counts pass holders seen within the activity window, so sessions that ended or
expired free their places by themselves; ``pending`` is people admitted recently who have not
shown up yet (so one slow tick does not admit twice). Nothing is admitted while admission
control is saturated. Operators can pause, cap admissions per minute, or replace the loop by a
fixed rate per minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InletInputs:
    limit: int
    in_flight: int
    saturated: bool
    active: int
    pending: int
    elapsed_seconds: float  # since the previous tick
    paused: bool
    fixed_rate_per_minute: int | None
    admit_cap_per_minute: int | None


class InletPolicy:
    _MIN_HOLDERS_TO_LEARN = 10
    _SMOOTHING = 0.2

    def __init__(
        self,
        *,
        target_utilisation: float,
        requests_per_session: float,
        max_admit_per_tick: int,
    ) -> None:
        self.target_utilisation = target_utilisation
        self.per_holder = requests_per_session
        self.max_admit_per_tick = max_admit_per_tick
        self._carry = 0.0  # fractions of a person owed by fixed rates and caps

    def _learn(self, inputs: InletInputs) -> None:
        if inputs.active >= self._MIN_HOLDERS_TO_LEARN and inputs.in_flight > 0:
            sample = inputs.in_flight / inputs.active
            self.per_holder += self._SMOOTHING * (sample - self.per_holder)

    def decide(self, inputs: InletInputs) -> int:
        self._learn(inputs)
        if inputs.paused:
            self._carry = 0.0
            return 0
        if inputs.fixed_rate_per_minute is not None:
            return self._by_rate(inputs.fixed_rate_per_minute, inputs.elapsed_seconds)
        if inputs.saturated:
            return 0
        target = math.floor(self.target_utilisation * inputs.limit / self.per_holder)
        wanted = max(0, min(target - inputs.active - inputs.pending, self.max_admit_per_tick))
        if inputs.admit_cap_per_minute is not None:
            budget = self._carry + inputs.admit_cap_per_minute * inputs.elapsed_seconds / 60
            wanted = min(wanted, math.floor(budget))
            self._carry = min(budget - wanted, max(1.0, inputs.admit_cap_per_minute / 60))
        return wanted

    def _by_rate(self, per_minute: int, elapsed: float) -> int:
        owed = self._carry + per_minute * elapsed / 60
        admit = min(math.floor(owed), self.max_admit_per_tick)
        self._carry = owed - admit if admit < self.max_admit_per_tick else 0.0
        return admit

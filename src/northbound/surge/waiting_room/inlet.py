"""How many people to let in on one tick: the closed loop.

Admission control says how many requests this instance may have in flight (``limit``); the
inlet reads how many it *had*, on average, since the previous tick (``busy``: the mean
concurrency, from the limiter's integral of in-flight over time). It learns how much
concurrency one pass holder causes (``per_holder``, an exponentially weighted mean of
``busy / active``) and lets in, each tick, a share (``gain``) of the people the spare
concurrency would hold::

    spare = target_utilisation * limit - busy
    admit = floor(gain * (spare / per_holder - pending))

``active`` counts pass holders who sent a request within the activity window (people using
the site *now*, not passes that are still valid), and is used only to learn ``per_holder``.
``pending`` is people let in recently who have not come back for their pass yet, so one tick
does not admit twice what the next one will see arriving.

Why the measured concurrency rather than a count of holders: the first version filled the
site to ``target_holders - active``. A holder who leaves after one page still counts as
active for the whole window, so after a crowd has come and gone the count stayed high while
the server sat idle, and the line stopped (seen in a crowd test: 2,000 "active" holders,
nothing in flight, 2,500 people waiting and not one let in for two minutes). Concurrency
cannot be stale: an empty server has all of its limit to spare, whatever came before, so the
inlet resumes on the next tick.

Why only a share each tick: the load of people let in shows up late (they come back at their
next refresh, then spend a minute clicking through), so a tick that let in everyone the spare
could hold let in as many again on the next few ticks before their load was seen: in a crowd
run the room let in 700 people in 12 s, the limit fell to its floor and the line then stood
still for 30 s. With ``gain`` (0.5 by default) the inlet closes on the spare over a few ticks, about
the time the newly admitted take to show up, and overshoots little.

Nothing is admitted while admission control is saturated (requests queued or shed in the
last moment): the people already inside are being served late, and adding more would only
turn into 503s. Operators can pause, cap admissions per minute, or replace the loop by a
fixed rate per minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InletInputs:
    limit: int
    busy: float  # mean requests in flight since the previous tick
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
        gain: float = 0.5,
    ) -> None:
        self.target_utilisation = target_utilisation
        self.gain = gain
        self.per_holder = requests_per_session
        self.max_admit_per_tick = max_admit_per_tick
        self._carry = 0.0  # fractions of a person owed by fixed rates and caps

    def _learn(self, inputs: InletInputs) -> None:
        # A tick with nothing in flight says nothing about how busy a holder keeps the site
        # (between two requests everybody is reading); learning from it would drag the
        # estimate to zero and the next tick would let in the whole line.
        if inputs.active >= self._MIN_HOLDERS_TO_LEARN and inputs.busy > 0:
            sample = inputs.busy / inputs.active
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
        spare = self.target_utilisation * inputs.limit - inputs.busy
        room_for = max(0.0, spare) / self.per_holder - inputs.pending
        # at least one while there is room: a tiny spare must not round the line to a stop
        wanted = max(1, math.floor(self.gain * room_for)) if room_for >= 1 else 0
        wanted = min(wanted, self.max_admit_per_tick)
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

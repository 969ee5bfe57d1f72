"""The crowd in abstract: who arrives when (the lab's profiles), what each person asks for
(the lab's four journeys as page sequences) and how they behave when the site is slow.

Arrivals are the lab's own (:func:`northbound.lab.arrivals.arrivals` on a bound profile), at
real speed (one profile minute per simulated minute). The profile's ``baseline_rps`` is
rescaled so the expected number of arrivals over the simulated window is ``visitors``::

    expected = baseline * 60 * integral of load(m) dm over the window (trapezoids: the load
               is linear between stages)

A journey is what :mod:`northbound.lab.journeys` does, reduced to what loads a server: a
list of pages, each a read (GET) or a submission (POST, ranked critical by admission
control), with or without database work, and with a cost in mean service times (a form post
that writes costs more than a page). People read between pages for the lab's think time.
Information pages are ``cached``: the site serves them from memory in front of the waiting
room (README, "The surge defence"), so a reader never queues; the tools, accounts and forms
are what the room and admission control ration.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..arrivals import Arrival, arrivals
from ..browser import Behaviour
from ..profiles import Profile, Schedule, Stage, bind


@dataclass(frozen=True, slots=True)
class Page:
    post: bool = False  # a submission: CRITICAL for admission control
    database: bool = False  # also needs the shared database
    cost: float = 1.0  # in mean service times of the instance
    signs_in: bool = False  # after it the person holds a session cookie (NORMAL priority)
    cached: bool = False  # an information page, served from memory before the room


INFO = Page(cached=True)
TOOL = Page(cost=1.5)
FORM = Page(post=True, database=True, cost=2.0)
ACCOUNT = Page(database=True)


def pages_for(journey: str, rng: random.Random) -> tuple[Page, ...]:
    """The pages of one person's visit (the lab's journeys, step for step)."""
    if journey == "reader":
        return (INFO,) * rng.randint(3, 5)  # home page and two to four information pages
    if journey == "tool_user":
        return (INFO, TOOL, TOOL)
    if journey == "applicant":
        sign_up = Page(post=True, database=True, cost=3.0, signs_in=True)  # password hash
        return (INFO, sign_up, ACCOUNT, ACCOUNT, FORM, FORM, FORM, FORM, ACCOUNT)
    if journey == "status_checker":
        sign_in = Page(post=True, database=True, cost=3.0, signs_in=True)
        return (INFO, sign_in, ACCOUNT, ACCOUNT)
    raise ValueError(f"unknown journey {journey!r}")


def mean_cost(mix: dict[str, float]) -> float:
    """Expected service-time units of dynamic pages per person who needs one, under a
    journey mix: what one person let in by a room costs the servers."""
    rng = random.Random(0)
    weights: dict[str, float] = {}
    costs: dict[str, float] = {}
    for name, weight in mix.items():
        draws = [sum(p.cost for p in pages_for(name, rng) if not p.cached) for _ in range(50)]
        if any(draws):
            weights[name] = weight
            costs[name] = sum(draws) / len(draws)
    total = sum(weights.values())
    return sum(weights[n] * costs[n] for n in weights) / total if total else 1.0


@dataclass(frozen=True, slots=True)
class Manners:
    """How people behave (per person draws come from these).

    The page-level figures are the lab's :class:`~northbound.lab.browser.Behaviour`;
    ``patience_median`` is how long a person keeps trying to get in (in a waiting room or
    through error pages alike: the same person is equally patient under every policy).
    """

    page: Behaviour = field(default_factory=Behaviour)
    patience_median: float = 600.0
    patience_sigma: float = 1.0
    fast_refreshers: float = 0.3  # reload the waiting page every few seconds, not as told
    bots: float = 0.002  # share of arrivals that hammer a tool, ignoring what they are told
    bot_interval: float = 1.0
    bot_seconds: float = 60.0
    retries_per_page: int = 3  # failures on one page before giving up the journey


def clip(profile: Profile, start_minute: float, end_minute: float) -> Profile:
    """The part of ``profile`` between two minutes, re-based to start at minute 0."""
    if not 0 <= start_minute < end_minute:
        raise ValueError("need 0 <= start < end")
    inner = [s for s in profile.stages if start_minute < s.at_minutes < end_minute]
    edges = [
        Stage(start_minute, profile.load_at(start_minute), profile.mix_at(start_minute)),
        *inner,
        Stage(end_minute, profile.load_at(end_minute), profile.mix_at(end_minute)),
    ]
    stages = tuple(Stage(s.at_minutes - start_minute, s.load, s.mix) for s in edges)
    return Profile(profile.name, profile.description, profile.baseline_rps, stages)


def with_warmup(profile: Profile, minutes: float) -> Profile:
    """``profile`` after ``minutes`` of baseline load (load 1, the first stage's mix).

    Admission control learns what normal latency looks like from the first traffic it
    serves; a run that starts at the peak shows a site restarted in the middle of a surge,
    not one that was up all evening.
    """
    if minutes <= 0:
        return profile
    first = profile.stages[0]
    quiet = (Stage(0.0, 1.0, first.mix), Stage(minutes, 1.0, first.mix))
    shifted = tuple(Stage(s.at_minutes + minutes, s.load, s.mix) for s in profile.stages)
    return Profile(profile.name, profile.description, profile.baseline_rps, quiet + shifted)


def load_minutes(profile: Profile) -> float:
    """Integral of the load over the profile, in load-minutes."""
    return sum(
        (b.at_minutes - a.at_minutes) * (a.load + b.load) / 2
        for a, b in itertools.pairwise(profile.stages)
    )


def schedule_for(profile: Profile, visitors: int) -> Schedule:
    """Bind ``profile`` at real speed with the baseline that brings ``visitors`` people."""
    area = load_minutes(profile)
    if area <= 0:
        raise ValueError("the profile brings nobody")
    baseline = visitors / (60 * area)
    return bind(profile, profile.length_minutes * 60, baseline_rps=baseline, speed=1.0)


def crowd(schedule: Schedule, seed: int) -> Iterator[Arrival]:
    """The arrivals of a run: the same for every policy with the same seed."""
    return arrivals(schedule, random.Random(f"arrivals-{seed}"))

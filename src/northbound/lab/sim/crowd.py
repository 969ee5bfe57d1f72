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
room (README, "The surge defence"), so a reader never queues. The tools are ``stateless``
(``defence.STATELESS``): worked out from the request alone, they cost server time but the
room leaves them open to everyone, and only admission control rations them. The accounts
and forms, the site's stateful part, are what the room queues and admission control rations.

Each page's cost falls on one side of the room (:class:`Demand`): a person the room lets in
costs the servers their queued pages; the open pages are asked for at the pace people
arrive, whether or not anyone is let in, so a room's capacity in people is what the servers
can do beyond them (:mod:`.policies`).
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
    # worked out from the request alone (a tool): outside the room, NORMAL for admission
    # control whatever the method, as the site ranks defence.STATELESS
    stateless: bool = False

    @property
    def queued(self) -> bool:
        """A page of the site's stateful part: the room queues those who ask for one."""
        return not (self.cached or self.stateless)


INFO = Page(cached=True)
TOOL = Page(cost=1.5, stateless=True)
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


@dataclass(frozen=True, slots=True)
class Demand:
    """What a journey mix asks of the servers, in mean service times, split at the room."""

    per_person_let_in: float  # the queued pages of one person who asks for one
    open_per_arrival: float  # the stateless pages of one arrival, whoever (a reader: none)


def demand(mix: dict[str, float]) -> Demand:
    """The two sides of :class:`Demand` under ``mix`` (journey weights ``w_j``), from 50
    drawn visits of each journey (``queued_j``, ``stateless_j``: their mean cost in pages
    of each kind)::

        per_person_let_in = sum(w_j * queued_j) / sum(w_j for journeys with queued_j > 0)
        open_per_arrival  = sum(w_j * stateless_j) / sum(w_j)

    ``per_person_let_in`` is 1 when no journey asks for a queued page (nobody to let in).
    """
    rng = random.Random(0)
    visits = 50
    queued: dict[str, float] = {}
    stateless: dict[str, float] = {}
    for name in mix:
        pages = [page for _ in range(visits) for page in pages_for(name, rng)]
        queued[name] = sum(p.cost for p in pages if p.queued) / visits
        stateless[name] = sum(p.cost for p in pages if p.stateless) / visits
    wanting = sum(w for name, w in mix.items() if queued[name])
    everyone = sum(mix.values())
    return Demand(
        sum(w * queued[n] for n, w in mix.items()) / wanting if wanting else 1.0,
        sum(w * stateless[n] for n, w in mix.items()) / everyone if everyone else 0.0,
    )


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
    # share of arrivals that hammer an account page (an application's status), ignoring what
    # they are told: a page the room queues, so they meet its waiting page as well as the 503s
    bots: float = 0.002
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

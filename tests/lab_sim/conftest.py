"""Small simulated nights shared by the tests (each run once per session: CPU is scarce)."""

from __future__ import annotations

from functools import cache

from northbound.lab import profiles
from northbound.lab.sim.crowd import clip
from northbound.lab.sim.faults import parse_faults
from northbound.lab.sim.run import Outcome, Setup, simulate
from northbound.lab.sim.site import SiteShape


def overload(faults: str = "", instances: int = 1, visitors: int = 2400,
             minutes: float = 10) -> Setup:
    """The election-night peak at about 2.5x what one small site can serve."""
    profile = clip(profiles.load("election-night"), 300 - minutes, 300)
    shape = SiteShape(instances=instances, capacity_rps=8.0 * instances, workers=2)
    return Setup(profile, visitors, shape, faults=parse_faults(faults), seed=11,
                 drain_seconds=300)


@cache
def overload_run(policy: str) -> Outcome:
    return simulate(overload(), policy)


@cache
def failure_run() -> Outcome:
    return simulate(overload("instance1@300+200", instances=2, visitors=7200, minutes=15),
                    "northbound")

"""Small simulated nights shared by the tests (each run once per session: CPU is scarce)."""

from __future__ import annotations

from functools import cache

from northbound.lab import profiles
from northbound.lab.sim.crowd import Manners
from northbound.lab.sim.faults import parse_faults
from northbound.lab.sim.run import Outcome, Setup, simulate
from northbound.lab.sim.site import SiteShape

SURGE = """
name: test-surge
description: two quiet minutes, then the election-night peak
baseline_rps: 1
stages:
  - {at: 0, load: 1, mix: {reader: 65, tool_user: 23, applicant: 6, status_checker: 6}}
  - {at: 2, load: 1}
  - {at: 3, load: 12}
  - {at: 12, load: 12}
"""


def overload(faults: str = "", instances: int = 1, visitors: int = 6000) -> Setup:
    """A quiet spell (so admission control learns the site's normal latency), then the
    election-night peak: the tools, open to everyone, take about half the servers, and about
    twice as many people want an account or a form as the servers can take beyond that."""
    shape = SiteShape(instances=instances, capacity_rps=13.0 * instances, workers=1)
    # no bots: a handful hammering a site this small would be most of its load
    return Setup(
        profiles.parse(SURGE),
        visitors,
        shape,
        Manners(bots=0.0),
        parse_faults(faults),
        seed=11,
        drain_seconds=300,
    )


@cache
def overload_run(policy: str) -> Outcome:
    return simulate(overload(), policy)


@cache
def failure_run() -> Outcome:
    return simulate(overload("instance1@400+200", instances=2, visitors=12000), "northbound")

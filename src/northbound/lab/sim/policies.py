"""The defences compared on the same crowd.

- ``northbound``: the site as configured: on every instance the waiting room (auto mode,
  closed-loop inlet) in front of adaptive admission control (Gradient2), one shared store;
- ``shed-only``: admission control without the room; who gets in is luck and refresh speed;
- ``fixed-N``: a room at the edge letting in a fixed number of new people per minute, the
  way Queue-it, Cloudflare and AWS's virtual waiting room are configured, set at N % of the
  site's true capacity in people per minute; the origin behind it has no admission control;
- ``none``: the 2016 baseline: every request goes to the servers, which queue it; not
  even information pages are cached.

Every policy but ``none`` serves information pages from memory, so they differ only in how
they ration the dynamic pages. Every room, Northbound's or at the edge, queues the site's
stateful part only (accounts, forms): the tools are open to everyone, behind admission
control where there is one (:mod:`.crowd`).

True capacity in people per minute is what a room can let in at the peak stage: what the
servers can do beyond the open pages, which arrivals ask for whether or not anyone is let
in, divided by what one person let in costs (:class:`~.crowd.Demand`)::

    open_rps          = arrivals per second * demand.open_per_arrival
    people_per_minute = 60 * max(0, capacity_rps - open_rps) / demand.per_person_let_in
"""

from __future__ import annotations

from dataclasses import dataclass

NAMES = ("northbound", "shed-only", "fixed-50", "fixed-100", "fixed-150", "none")


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    room_per_instance: bool  # the Northbound room, one per instance, auto mode
    admission_control: bool
    edge_rate_share: float | None = None  # a fixed-rate room at the edge, share of capacity
    cached_pages: bool = True  # information pages from memory (all but the 2016 baseline)

    @property
    def has_room(self) -> bool:
        return self.room_per_instance or self.edge_rate_share is not None


def policy(name: str) -> Policy:
    if name == "northbound":
        return Policy(name, room_per_instance=True, admission_control=True)
    if name == "shed-only":
        return Policy(name, room_per_instance=False, admission_control=True)
    if name == "none":
        return Policy(name, room_per_instance=False, admission_control=False, cached_pages=False)
    if name.startswith("fixed-") and name[6:].isdigit() and int(name[6:]) > 0:
        return Policy(
            name,
            room_per_instance=False,
            admission_control=False,
            edge_rate_share=int(name[6:]) / 100,
        )
    raise ValueError(f"unknown policy {name!r}: known are {', '.join(NAMES)} (or fixed-N)")


def people_per_minute(capacity_rps: float, open_rps: float, cost_per_person: float) -> float:
    """People a minute the servers can take beyond ``open_rps`` (module docstring)."""
    return 60 * max(0.0, capacity_rps - open_rps) / cost_per_person

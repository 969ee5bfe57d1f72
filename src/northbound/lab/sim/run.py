"""One simulated night for one policy: the crowd, the site, the faults, the clock.

Everything random is drawn from generators seeded from ``seed`` and a purpose, so a run is
a pure function of its :class:`Setup` and policy, and every policy sees the same people
(arrival times, journeys, patience: drawn in arrival order from their own generator).
Virtual time starts at :data:`EPOCH` (passes carry whole seconds since 1970); figures are in
seconds of the run.
"""

from __future__ import annotations

import math
import random
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from northbound.surge.admission import AdmissionSettings
from northbound.surge.waiting_room import WaitingRoomSettings

from ..arrivals import Arrival
from ..profiles import Profile, Schedule
from .aio import VirtualLoop, running
from .crowd import Demand, Manners, crowd, demand, schedule_for
from .deadlines import Deadlines
from .events import Simulation
from .faults import Fault
from .measures import Tally
from .people import Person
from .policies import Policy, people_per_minute, policy
from .site import Site, SiteShape

EPOCH = 1_800_000_000.0


@dataclass(frozen=True)
class Setup:
    profile: Profile
    visitors: int
    shape: SiteShape = field(default_factory=SiteShape)
    manners: Manners = field(default_factory=Manners)
    faults: tuple[Fault, ...] = ()
    seed: int = 1
    drain_seconds: float = 1800.0
    room: WaitingRoomSettings = field(default_factory=WaitingRoomSettings)
    admission: AdmissionSettings = field(default_factory=AdmissionSettings)

    def schedule(self) -> Schedule:
        return schedule_for(self.profile, self.visitors)

    def _peak(self) -> tuple[float, Demand]:
        """Arrivals a second at the heaviest stage, and what its journey mix asks for."""
        peak = max(self.profile.stages, key=lambda s: s.load)
        return peak.load * self.schedule().baseline_rps, demand(peak.mix)

    def open_rps(self) -> float:
        """What the open pages ask of the servers at the heaviest stage, in requests of cost
        1 a second (``arrivals per second * demand.open_per_arrival``)."""
        arrivals, needs = self._peak()
        return arrivals * needs.open_per_arrival

    def capacity_people_per_minute(self) -> float:
        """True capacity in people a room can let in a minute at the heaviest stage: what the
        servers can do beyond :meth:`open_rps` (the policies module gives the formula)."""
        capacity = self.shape.capacity_rps
        if self.shape.mean_service is not None:
            capacity = self.shape.instances * self.shape.workers / self.shape.mean_service
        _, needs = self._peak()
        return people_per_minute(capacity, self.open_rps(), needs.per_person_let_in)


@dataclass
class Outcome:
    """What a run produced, with the cost of producing it."""

    policy: Policy
    tally: Tally
    duration: float  # seconds of arrivals
    simulated: float  # seconds simulated, drain included
    events: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    utilisation: list[int]  # busy share of the alive workers per second, in thousandths
    room_errors: int
    people: int
    edge_rate_per_minute: int | None


class World:
    """The run's shared context, as the people see it."""

    def __init__(self, sim: Simulation, site: Site, manners: Manners, seed: int) -> None:
        self.sim = sim
        self.site = site
        self.manners = manners
        self.tally = Tally()
        self.rng = random.Random(f"{seed}-behaviour")
        self.start = sim.now
        self.trying = 0  # asked for a page the room queues, not yet served one, not given up
        self.cached_pages = site.policy.cached_pages  # information pages answered from memory
        # visits of information pages only, accounted when they start (Person.read_through):
        # their own generator of think times, and when the last of them ends
        self.reading_rng = random.Random(f"{seed}-reading")
        self.reading_until = sim.now
        self.end = math.inf  # no event runs after this (the run's end)
        self.deadlines = Deadlines(sim)  # the browsers' limits on requests
        self.active = 0  # arrived and not left


def simulate(
    setup: Setup, name: str, progress: Callable[[float, float], None] | None = None
) -> Outcome:
    """Run ``setup``'s crowd against the site defended by policy ``name``."""
    chosen = policy(name)
    schedule = setup.schedule()
    sim = Simulation(EPOCH)
    edge_rate = None
    if chosen.edge_rate_share is not None:
        edge_rate = max(1, round(chosen.edge_rate_share * setup.capacity_people_per_minute()))
    site = Site(
        sim,
        chosen,
        setup.shape,
        seed=setup.seed,
        room_settings=setup.room,
        admission=setup.admission,
        edge_rate_per_minute=edge_rate,
    )
    world = World(sim, site, setup.manners, setup.seed)
    for journey in schedule.profile.mix_at(0):
        world.tally.by_journey.setdefault(journey, [0, 0])
    _schedule_faults(sim, site, setup.faults)
    arrivals = crowd(schedule, setup.seed)
    people_rng = random.Random(f"{setup.seed}-people")
    state = {"exhausted": False}
    utilisation: list[int] = []

    def arrive(arrival: Arrival) -> None:
        person = Person(world, arrival, people_rng)
        tally = world.tally
        world.active += 1
        if person.is_bot:
            tally.bots += 1
        else:
            tally.people += 1
            tally.by_journey.setdefault(person.journey, [0, 0])[0] += 1
        if not (world.cached_pages and person.reads_only and person.read_through()):
            person.send()
        _next(arrivals)

    def _next(source: Iterator[Arrival]) -> None:
        upcoming = next(source, None)
        if upcoming is None:
            state["exhausted"] = True
        else:
            sim.at(EPOCH + upcoming.at, arrive, upcoming)

    busy_seen = [0.0]

    def sample() -> None:
        second = sim.now - EPOCH
        tally = world.tally
        tally.line.set(second, world.trying)
        tally.inlet.set(second, site.store.inner.admitted_total)
        tally.limit.set(
            second, sum(i.limiter.limit for i in site.instances if i.limiter is not None and i.up)
        )
        busy = sum(i.station.busy_seconds for i in site.instances)
        workers = sum(i.station.slots for i in site.instances if i.up) or 1
        utilisation.append(round(1000 * (busy - busy_seen[0]) / workers))
        busy_seen[0] = busy
        sim.after(1.0, sample)

    _next(arrivals)
    sim.after(1.0, sample)
    wall, cpu = time.perf_counter(), time.process_time()
    end = world.end = EPOCH + schedule.duration + setup.drain_seconds
    with running(VirtualLoop(sim)):
        while sim.now < end:
            sim.run(min(end, sim.now + 60.0))
            if progress is not None:
                progress(sim.now - EPOCH, schedule.duration + setup.drain_seconds)
            if state["exhausted"] and world.active == 0 and sim.now >= world.reading_until:
                break  # everybody left (readers accounted ahead, at their last page)
    tally = world.tally
    tally.flush()
    tally.inlet.values = _differences(tally.inlet.values)
    return Outcome(
        policy=chosen,
        tally=tally,
        duration=schedule.duration,
        simulated=sim.now - EPOCH,
        events=sim.events,
        wall_seconds=time.perf_counter() - wall,
        cpu_seconds=time.process_time() - cpu,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        utilisation=utilisation,
        room_errors=site.room_errors,
        people=tally.people,
        edge_rate_per_minute=edge_rate,
    )


def _differences(totals: list[int]) -> list[int]:
    """Per-second increments of a running total sampled once a second."""
    out, previous = [], 0
    for total in totals:
        out.append(total - previous)
        previous = total
    return out


def _schedule_faults(sim: Simulation, site: Site, faults: tuple[Fault, ...]) -> None:
    for fault in faults:
        begin, end = EPOCH + fault.start, EPOCH + fault.end
        if fault.kind == "instance":
            if not 0 <= fault.target < len(site.instances):
                raise ValueError(f"{fault.describe()}: there are {len(site.instances)} instances")
            instance = site.instances[fault.target]
            sim.at(begin, instance.die)
            sim.at(end, instance.restart)
        elif fault.kind == "store":
            sim.at(begin, setattr, site.store, "paused", True)
            sim.at(end, setattr, site.store, "paused", False)
        else:
            sim.at(begin, site.capacity_factor, 0.5)
            sim.at(end, site.capacity_factor, 1.0)

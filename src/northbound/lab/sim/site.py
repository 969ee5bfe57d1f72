"""The simulated site: instances behind a load balancer, each running Northbound's real
waiting room and admission control in front of a :class:`~.servers.Station`, one shared
database and one shared room store.

The path of one request mirrors the ASGI stack (``surge/waiting_room/middleware.py``, then
``surge/admission/middleware.py``):

1. the load balancer picks an instance it believes is up (it notices a death, and a return,
   ``detect_seconds`` late: requests sent to a dead instance meanwhile are refused);
2. the room's gate, for the pages it queues (a stateless page skips it, as the site's
   ``OUTSIDE_THE_ROOM`` paths do: no place in line, no pass asked or renewed): a pass holder
   goes through (``still_valid``, ``note_active``, ``renewal``); a ticket holder whose turn
   has not come gets the waiting page from memory (``poll``); anyone else asks ``visit``,
   which joins, continues or admits. A store that does not answer fails open while the room
   is off and shows "unavailable" while it is on;
3. admission control: the request that ends a wait is admitted over the limit
   (``Limiter.admit_committed``, as the site does); others ``Limiter.acquire`` with the
   priority the site's classifier would give (a stateless page: normal, whatever the method;
   a submission: critical; a pass or session: normal; anyone else: sheddable). Refused: a
   503;
4. the instance's station serves it, then the database if the page needs it; the permit is
   released with the latency as the limit's sample.

The waiting page is answered by the room without the servers, as the gate does in front of
the framework, and information pages from the page cache in front of the room (except in
the unprotected baseline); their own cost is not modelled.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Protocol

from northbound.surge.admission import AdmissionSettings, Limiter, Permit, Priority
from northbound.surge.shed_page import retry_after_range
from northbound.surge.waiting_room import (
    Admitted,
    Claims,
    Controls,
    KeyRing,
    PassSigner,
    WaitingRoom,
    WaitingRoomSettings,
    WaitView,
)
from northbound.surge.waiting_room.tokens import Kind

from .aio import run_now, spawn
from .crowd import Page
from .events import Simulation
from .faults import PausableStore
from .policies import Policy
from .servers import ServiceTime, Station

OK, WAITING, SHED, ERROR = "ok", "waiting", "shed", "error"


class Client(Protocol):
    """What the site needs of a simulated person."""

    @property
    def vid(self) -> str: ...

    claims: Claims | None
    session: bool

    def reply(self, seq: int, kind: str, detail: WaitView | str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class SiteShape:
    instances: int = 4
    capacity_rps: float = 400.0  # all instances together, in requests of cost 1
    workers: int = 1  # requests one instance serves at once (one core)
    sigma: float = 0.5  # log-normal shape of service times
    database_rps: float | None = None  # default: as much as the instances
    database_connections: int = 20
    detect_seconds: float = 5.0
    backlog: int = 2048  # requests an instance holds before refusing connections
    mean_service: float | None = None  # from a calibration; else from capacity and workers

    def service(self) -> ServiceTime:
        mean = self.mean_service or self.instances * self.workers / self.capacity_rps
        return ServiceTime(mean, self.sigma)

    def database_service(self) -> ServiceTime:
        rps = self.database_rps or self.capacity_rps
        return ServiceTime(self.database_connections / rps, self.sigma)


class Instance:
    """One process: its server, and (per policy) its limiter and room."""

    def __init__(self, site: Site, index: int) -> None:
        self.site = site
        self.index = index
        self.station = Station(
            site.sim,
            site.shape.workers,
            site.shape.service(),
            random.Random(f"{site.seed}-station-{index}"),
            backlog=site.shape.backlog,
        )
        self.up = True
        self.routable = True
        self.generation = 0
        self.limiter: Limiter | None = None
        self.room: WaitingRoom | None = None
        self.boot()

    def boot(self) -> None:
        """A fresh process: new limiter and room state (the shared store survives)."""
        site = self.site
        self.generation += 1
        self.limiter = (
            site.admission.build_limiter(clock=site.sim.clock)
            if site.policy.admission_control
            else None
        )
        if site.policy.room_per_instance:
            self.room = site.new_room(self.limiter, f"room-{self.index}-{self.generation}")
            phase = site.room_settings.tick_seconds * self.index / site.shape.instances
            site.sim.after(phase, self.tick, self.generation)

    def tick(self, generation: int) -> None:
        if generation != self.generation or not self.up or self.room is None:
            return
        self.site.tick_room(self.room)
        self.site.sim.after(self.site.room_settings.tick_seconds, self.tick, generation)

    def die(self) -> None:
        self.up = False
        self.generation += 1
        self.station.go_down()
        self.site.sim.after(self.site.shape.detect_seconds, self._set_routable, False)

    def restart(self) -> None:
        self.up = True
        self.station.come_up()
        self.boot()
        self.site.sim.after(self.site.shape.detect_seconds, self._set_routable, True)

    def _set_routable(self, routable: bool) -> None:
        if routable == self.up:
            self.routable = routable
            self.site.reroute()


class Site:
    def __init__(
        self,
        sim: Simulation,
        policy: Policy,
        shape: SiteShape,
        *,
        seed: int,
        room_settings: WaitingRoomSettings | None = None,
        admission: AdmissionSettings | None = None,
        edge_rate_per_minute: int | None = None,
    ) -> None:
        self.sim = sim
        self.policy = policy
        self.shape = shape
        self.seed = seed
        self.room_settings = room_settings or WaitingRoomSettings()
        self.admission = admission or AdmissionSettings()
        # the waits the site's 503s name, in turn (a crowd refused together does not come
        # back together): what a refused person waits before trying again
        self.retry_afters = itertools.cycle(
            retry_after_range(
                self.admission.retry_after_seconds, self.admission.retry_after_spread_seconds
            )
        )
        self.store = PausableStore()
        self.signer = PassSigner(
            self.room_settings.name, KeyRing([("sim", f"simulated-{seed}".ljust(24, "k").encode())])
        )
        self.room_errors = 0
        self._rng = random.Random(f"{seed}-balancer")
        self.database = Station(
            sim,
            shape.database_connections,
            shape.database_service(),
            random.Random(f"{seed}-database"),
        )
        self.edge_room: WaitingRoom | None = None
        if edge_rate_per_minute is not None:
            run_now(
                self.store.update_controls(
                    Controls(mode="on", fixed_rate_per_minute=edge_rate_per_minute)
                )
            )
            self.edge_room = self.new_room(None, "edge")
            sim.after(0.0, self._edge_tick)
        self.instances = [Instance(self, i) for i in range(shape.instances)]
        self._routable = list(self.instances)

    # rooms -------------------------------------------------------------------------------

    def new_room(self, limiter: Limiter | None, label: str) -> WaitingRoom:
        return WaitingRoom(
            self.room_settings,
            self.store,
            self.signer,
            capacity=limiter,
            clock=self.sim.clock,
            rng=random.Random(f"{self.seed}-{label}"),
        )

    def tick_room(self, room: WaitingRoom) -> None:
        try:
            run_now(room.tick())
        except ConnectionError:  # the store paused: keep the last view, as room._run does
            self.room_errors += 1

    def _edge_tick(self) -> None:
        assert self.edge_room is not None
        self.tick_room(self.edge_room)
        self.sim.after(self.room_settings.tick_seconds, self._edge_tick)

    def rooms(self) -> list[WaitingRoom]:
        if self.edge_room is not None:
            return [self.edge_room]
        return [i.room for i in self.instances if i.room is not None and i.up]

    # balancing ---------------------------------------------------------------------------

    def reroute(self) -> None:
        self._routable = [i for i in self.instances if i.routable]

    def capacity_factor(self, factor: float) -> None:
        for instance in self.instances:
            instance.station.speed = factor

    # one request -------------------------------------------------------------------------

    def send(self, client: Client, page: Page, seq: int) -> None:
        if page.cached and self.policy.cached_pages:
            client.reply(seq, OK, None)  # from memory, in front of the room
            return
        routable = self._routable
        if not routable:
            client.reply(seq, ERROR, "refused")
            return
        instance = routable[int(self._rng.random() * len(routable))]
        if not instance.up:
            client.reply(seq, ERROR, "refused")
            return
        room = None if page.stateless else (self.edge_room or instance.room)
        ends_wait = False
        # sent with a pass: admission control counts it as the room's people's (the site's
        # gate checks the pass before the page, so a holder's tool page counts too)
        holder = client.claims is not None and client.claims.kind is Kind.PASS
        if room is not None:
            claims = client.claims
            if claims is not None and claims.kind is Kind.PASS:
                if room.still_valid(claims):
                    room.note_active(claims)
                    renewed = room.renewal(claims)
                    if renewed is not None:
                        client.claims = room.check_pass(renewed, client.vid) or claims
                else:
                    client.claims = claims = None
                    holder = False
            if claims is None or claims.kind is Kind.TICKET:
                if claims is not None:
                    view = room.poll(claims)  # the hot path: a waiting visitor polling
                    if view is not None:
                        client.reply(seq, WAITING, view)
                        return
                try:
                    outcome = run_now(room.visit(claims, client.vid))
                except ConnectionError:
                    self.room_errors += 1
                    if room.is_on():
                        client.reply(seq, ERROR, "unavailable")
                        return
                else:
                    if isinstance(outcome, Admitted):
                        client.claims = outcome.claims
                        ends_wait = claims is not None
                        holder = True
                    else:
                        if outcome.token is not None:
                            client.claims = room.check_pass(outcome.token, client.vid)
                        client.reply(seq, WAITING, outcome.view)
                        return
        limiter = instance.limiter
        if limiter is None:
            self._serve(instance, client, page, seq, None)
            return
        if ends_wait:
            # as the site does (admission/middleware.py): the request that ends a wait is
            # admitted over the limit, never queued or shed; the inlet paced it already
            self._admitted(instance, client, page, seq, limiter.admit_committed(holder))
            return
        if page.stateless:
            # ranked with the people inside (the classifier's reads): below them, the open
            # pages starved at the peak (defence.STATELESS)
            priority = Priority.NORMAL
        elif page.post:
            priority = Priority.CRITICAL
        elif client.session or (client.claims is not None and client.claims.kind is Kind.PASS):
            priority = Priority.NORMAL
        else:
            priority = Priority.SHEDDABLE

        decided = limiter.decide(priority, holder)
        if decided is None:  # queued in the limiter: resumed on the virtual clock

            def admitted(outcome: Permit | object | None, error: BaseException | None) -> None:
                self._admitted(instance, client, page, seq, outcome)

            spawn(limiter.wait(priority, holder), admitted)
        else:
            self._admitted(instance, client, page, seq, decided)

    def _admitted(
        self, instance: Instance, client: Client, page: Page, seq: int,
        outcome: Permit | object | None,
    ) -> None:  # fmt: skip
        """What admission control answered: served, or shed."""
        if isinstance(outcome, Permit):
            self._serve(instance, client, page, seq, outcome)
        else:
            client.reply(seq, SHED, None)

    def _serve(
        self, instance: Instance, client: Client, page: Page, seq: int, permit: Permit | None
    ) -> None:
        station = instance.station
        if station.full:
            station.refused += 1
            if permit is not None:
                permit.release(sample=False)  # refused by the kernel: no latency to learn from
            client.reply(seq, ERROR, "refused")
            return

        def finish(ok: bool) -> None:
            if permit is not None:
                permit.release(dropped=not ok)
            client.reply(seq, OK if ok else ERROR, None if ok else "reset")

        def computed(ok: bool) -> None:
            if ok and page.database:
                self.database.submit(finish)
            else:
                finish(ok)

        station.submit(computed, page.cost)

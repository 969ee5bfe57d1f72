"""One simulated person: arrives, tries to get in, goes through their journey, leaves.

A person follows what the site tells them, as the lab's browser does: the waiting page's
refresh time (a share of people reload every few seconds instead), a 503's Retry-After, a
pause after an error. A page that is slow is reloaded after ``reload_after`` by the share of
people who do that, and dropped by the browser after ``timeout``; the server goes on working
on the abandoned request all the same (see :mod:`.servers`).

A person *tries to get in* from their first request for a page the room queues (an account,
a form: the site's stateful part; information pages are cached, the tools open to everyone)
until that page is served, for their *patience* (drawn once, log-normal, the same person
under every policy), whatever the site shows them; any other page, a tool's included, that
fails more than ``retries_per_page`` times ends the journey: nobody asked the tool user to
wait, so a tool that keeps failing is a site that does not work. Bots keep their cookies,
ignore what they are told and ask for an account page every ``bot_interval`` for
``bot_seconds``.

Nothing about a person outlives them: the run keeps only the counts in :class:`Tally`.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from northbound.surge.waiting_room import Claims, WaitView

from ..arrivals import Arrival
from .crowd import ACCOUNT, Page, pages_for
from .site import ERROR, OK, SHED, WAITING

if TYPE_CHECKING:
    from .run import World

GOOD_WITHIN = 2.0  # a useful page counts towards goodput when answered within this (the lab's)


class Person:
    __slots__ = (
        "arrived", "claims", "estimate", "estimate_at", "failures", "got_in", "index",
        "is_bot", "journey", "left", "overtaken", "page", "pages", "patience", "quick",
        "reloader", "sent", "seq", "session", "wants_in", "world",
    )  # fmt: skip

    def __init__(self, world: World, arrival: Arrival, rng: random.Random) -> None:
        manners = world.manners
        self.world = world
        self.index = arrival.index
        self.arrived = world.sim.now
        self.journey = arrival.journey
        self.is_bot = rng.random() < manners.bots
        self.pages: tuple[Page, ...] = (
            (ACCOUNT,) if self.is_bot else pages_for(arrival.journey, rng)
        )
        self.page = 0
        self.patience = rng.lognormvariate(0.0, manners.patience_sigma) * manners.patience_median
        self.quick = rng.random() < manners.fast_refreshers
        self.reloader = rng.random() < manners.page.reloaders
        self.claims: Claims | None = None
        self.session = False
        self.wants_in: float | None = None  # first request for a page the room queues
        self.got_in: float | None = None
        self.estimate: float | None = None
        self.estimate_at = 0.0
        self.failures = 0
        self.seq = 0
        self.sent = 0.0
        self.left = False
        self.overtaken = False

    @property
    def reads_only(self) -> bool:
        """A visit of information pages only (a reader's)."""
        return not self.is_bot and all(page.cached for page in self.pages)

    def read_through(self) -> bool:
        """Account a visit of information pages served from memory, all of it, now.

        Nothing such a visit does reaches the site or anybody else: every page comes from
        the cache in front of the room, at once, and succeeds. So its pages are counted now,
        at the seconds they will be read, instead of as one event each (readers are most of
        a crowd, and their pages most of its pages). Think times come from the world's own
        generator for reading, so nobody else's draws depend on how many people only read.
        False, with nothing counted, when the visit would outlast the run: it then runs
        page by page and stops where the run does.
        """
        world = self.world
        tally = world.tally
        low, high = world.manners.page.think_seconds
        draw = world.reading_rng.random
        times = [self.arrived]
        for _ in range(len(self.pages) - 1):
            times.append(times[-1] + low + (high - low) * draw())  # uniform(low, high)
        last = times[-1]
        if last > world.end:
            return False
        start = world.start
        tally.read([at - start for at in times])
        tally.ok += len(times)
        tally.completed += 1
        tally.by_journey[self.journey][1] += 1
        tally.record_completion(last - self.arrived)
        self.page = len(self.pages)
        self.left = True
        world.active -= 1
        if last > world.reading_until:
            world.reading_until = last
        return True

    @property
    def vid(self) -> str:
        """The person's cookie id (made when the room asks: most visits never meet it)."""
        return f"v{self.index:021d}"

    # requests ----------------------------------------------------------------------------

    def send(self) -> None:
        world = self.world
        sim = world.sim
        now = sim.now
        seq = self.seq + 1
        self.seq = seq
        self.sent = now
        tally = world.tally
        tally.offered.add(now - world.start)
        page = self.pages[self.page]
        if page.cached:
            if world.cached_pages:
                # what Site.send and reply() would do with it, without the round trip: the
                # page comes from memory in front of the room, at once, and always succeeds
                self.seq = seq + 1
                tally.ok += 1
                self._succeeded()
                return
        elif self.wants_in is None and not page.stateless and not self.is_bot:
            self.wants_in = now
            world.trying += 1
            tally.fairness.people += 1
        world.site.send(self, page, seq)
        if self.seq == seq and not self.left:
            # still waiting for an answer (most answers from the room come at once): the
            # browser's own limit starts now (see .deadlines: answered, it is dropped)
            manners = world.manners.page
            limit = manners.reload_after if self.reloader else manners.timeout
            world.deadlines.start(limit, self, seq)

    def still_waiting(self, seq: int) -> bool:
        """Whether request ``seq`` is unanswered (every answer or limit moves ``seq`` on)."""
        return seq == self.seq and not self.left

    def timed_out(self, seq: int) -> None:
        if seq != self.seq or self.left:
            return  # answered in time (or gone): the request this limit was for is over
        self.seq += 1  # a late answer to the dropped request is wasted
        self.world.tally.error("reload" if self.reloader else "timeout")
        self._failed(0.2 if self.reloader else self.world.manners.page.error_pause)

    def reply(self, seq: int, kind: str, detail: WaitView | str | None) -> None:
        world = self.world
        tally = world.tally
        if seq != self.seq or self.left:
            if kind == OK:
                tally.wasted += 1
            return
        self.seq += 1  # answered: anything else for this request, its timeout too, is stale
        if kind == WAITING:
            tally.ok += 1
            assert isinstance(detail, WaitView)
            self._waiting(detail)
        elif kind == OK:
            tally.ok += 1
            self._succeeded()
        elif kind == SHED:
            tally.status("503")
            # random.uniform(1, 3), spelled out (the same draw, without a Python call)
            pause = 1.0 + 2.0 * world.rng.random() if self.quick else next(world.site.retry_afters)
            self._failed(pause)
        else:
            assert kind == ERROR
            tally.error(str(detail))
            self._failed(world.manners.page.error_pause)

    # outcomes ----------------------------------------------------------------------------

    def _succeeded(self) -> None:
        world = self.world
        sim = world.sim
        now = sim.now
        page = self.pages[self.page]
        if self.is_bot:
            world.tally.bot_answers += 1
            if now - self.arrived >= world.manners.bot_seconds:
                self._leave()
            else:
                sim.after(world.manners.bot_interval, self.send)
            return
        start = world.start
        world.tally.answered(self.sent - start, now - start, GOOD_WITHIN)
        if self.got_in is None and self.wants_in is not None:
            self.got_in = now
            world.trying -= 1
            world.tally.record_wait(self.wants_in - world.start, now - world.start)
            if self.estimate is not None:
                world.tally.record_estimate(self.estimate, now - self.estimate_at)
        if page.signs_in:
            self.session = True
        self.failures = 0
        self.page += 1
        if self.page >= len(self.pages):
            world.tally.completed += 1
            world.tally.by_journey[self.journey][1] += 1
            world.tally.record_completion(now - self.arrived)
            self._leave()
            return
        low, high = world.manners.page.think_seconds
        sim.after(low + (high - low) * world.rng.random(), self.send)  # uniform(low, high)

    def _turned_away(self) -> None:
        """Shown the waiting page or refused before getting in: overtaken, perhaps."""
        world = self.world
        wants_in = self.wants_in
        if not self.overtaken and wants_in is not None and self.got_in is None:
            fairness = world.tally.fairness
            if fairness.overtakes(wants_in - world.start):
                self.overtaken = True
                fairness.overtaken += 1

    def _waiting(self, view: WaitView) -> None:
        world = self.world
        sim = world.sim
        self._turned_away()
        if self.estimate is None:
            if self.estimate_at == 0.0:
                world.tally.saw_room += 1
                self.estimate_at = -1.0  # seen the room, no estimate yet
            if view.estimate is not None:
                self.estimate = float(view.estimate.seconds)
                self.estimate_at = sim.now
        if self.is_bot:
            sim.after(world.manners.bot_interval, self.send)
            return
        wants_in = self.wants_in
        if wants_in is not None and self.got_in is None and sim.now - wants_in >= self.patience:
            self._give_up()
            return
        delay = float(view.refresh_seconds)
        if self.quick:
            delay = min(delay, 2.0 + 3.0 * world.rng.random())  # uniform(2, 5)
        sim.after(delay, self.send)

    def _failed(self, pause: float) -> None:
        world = self.world
        self.failures += 1
        self._turned_away()
        if self.is_bot:
            world.sim.after(world.manners.bot_interval, self.send)
            return
        wants_in = self.wants_in
        if wants_in is not None and self.got_in is None:
            if world.sim.now + pause - wants_in > self.patience:
                self._give_up()
                return
        elif self.failures > world.manners.retries_per_page:
            world.tally.abandoned_journey += 1
            self._leave()
            return
        world.sim.after(pause, self.send)

    def _give_up(self) -> None:
        self.world.trying -= 1
        self.world.tally.gave_up_getting_in += 1
        self._leave()

    def _leave(self) -> None:
        self.left = True
        self.world.active -= 1

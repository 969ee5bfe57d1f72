"""How many people to let in on one tick: a rate, steered by the concurrency it causes.

Admission control says how many requests this instance may have in flight (``limit``); the
inlet reads how many it *had*, on average, since the previous tick (``busy``: the mean
concurrency, from the limiter's integral of in-flight over time). It keeps an admission
**rate** (people a second) and, every tick, moves it by how far the load it expects is from
the load it aims at::

    aim      = target_utilisation * limit
    expected = busy + per_holder * pending
    rate    *= clamp(aim / expected, 1/2, 1.5) ** (gain * elapsed)
    admit    = floor(carry + rate * elapsed)          (the fraction is carried over)

``per_holder`` is the concurrency one pass holder causes (an exponentially weighted mean of
``busy / active``, learned from holders who sent a request within the activity window);
``pending`` is people let in recently who have not come back for their pass yet, so the load
they are about to add counts before it shows.

Why a rate and not a head count. The first version filled the spare concurrency each tick
(``gain * (spare / per_holder - pending)`` people) and let in nobody while admission control
was saturated. One holder causes little concurrency (0.01-0.05 requests in flight: they spend
most of a visit reading), so a spare of four requests read as room for 300 people; they were
let in at once, their load came a few seconds later, admission control saturated, and the
line stood still until they had left. In the simulator and in the lab that cycle repeated
every 6-10 s: bursts of 50-250 people, then 3-5 s with nobody let in, the server 55 % busy on
average with 1,300 people waiting, and the estimated wait wrong for whoever arrived during a
pause. A rate changes smoothly, so the line moves every tick and the outflow the estimator
measures is the outflow people will see.

Why multiplicative. The load a holder causes is proportional to how many are let in a second
(Little's law: holders inside = rate x visit length), so ``aim / expected`` is the factor the
rate is off by; ``gain`` (per second) takes a share of it each tick, because the load of people
let in shows up over the next seconds and a full step would overshoot. The factor is
clamped to [1/2, 1.5] before that share is taken: with the default gain (0.3) the rate grows
by at most 13 % a second on an idle server and falls by at most 19 % a second on one far past
its aim. Slow on purpose: the loop's delay is a visit, tens of seconds, and a rate that
doubled each second went from 12 to 93 people a second in five, then spent forty seconds
paying for it (in the simulator).

Why the rate never grows while the people it let in are being refused (admission control shed
one of their requests since the previous tick), and is not cut either unless the load is past
the aim: those refusals are the site saying it has no room for more of them. A request *queued* for
a moment is not: a Poisson crowd at 60 % of the limit queues a request for a few
milliseconds several times a second, and a CPU-bound server at capacity always has a few
waiting (that queue is what keeps it busy).
An inlet that stopped on every queued request (the rule until the lab's election-night run)
was stopped on most ticks at the peak, and let the server sit 12 % idle while 200 people
waited in line. The rate also does not grow past
what the line could use (twice the people waiting, a second), so a short line does not build
up a rate that lets in the first 500 of the next crowd at once. It starts, when the room turns
on, from the pace people were entering at just before (:meth:`InletPolicy.follow`): the site
was serving about that many, a little too many, and a start from one a second took a minute
to find the pace again while the line grew.

An opening. Before a scheduled opening (a lottery window) the room holds everyone in its
pre-queue, so nobody enters and there is no pace to start from: from ``MIN_RATE``, growing
13 % a second, the line of 3,000 sponsors in ``bench/lottery_opening.py`` moved 14 places in
its first 8 s and 197 in 26 while the site sat nearly idle. The gathering crowd tells the
inlet nothing about the site; the site's free room does. So during the pre-queue the rate is
set to what fills the line's part of the aim over the time people let in take to come
back for their pass (``arrival_seconds``: the window ``pending`` is counted over, the longest
that takes)::

    rate = (aim_line - line_load) / per_holder / arrival_seconds

(the open pages' load in ``aim_line`` smoothed, as the stop reads it; and no more than twice
the people waiting a second, nor one tick's most, as when the rate grows).

and from the opening on it is steered as always (those let in count as ``pending`` load at
once, so the rate falls back as soon as they would fill the aim). On the bench (one run each,
60 s, its room polling every 1-5 s, so a 5 s window and 72 people a second to start): 2,720
forms acknowledged against 1,528, all 905 who came early let in against 612, nothing lost or
duplicated, no 500. What it does not mend: the steering then overshoots this crowd, whose
people post a form at once and load the site more than ``per_holder`` (learned from readers)
says; 2,213 later requests of people let in were answered 503 and sent again (400 before,
when the rate took 40 s to get there). Their first request was never refused.

The rate never falls below ``MIN_RATE`` (a multiplicative rate at zero could never grow
again); instead a tick never lets in more people than the rest of the whole limit would hold,
so nobody while the load expected reaches it::

    held     = load + per_holder * pending      load: busy, smoothed over LOAD_SECONDS
    room_for = floor((limit - held) / per_holder)

Why that stop reads a smoothed load and the steering the tick's own. Most of the load comes
from people let in during the last few seconds (a newcomer opens a page or two at once, then
reads), and a CPU-bound site at its aim reaches the limit in short bursts. When the stop read
one tick's ``busy`` it let nobody in on 78 of 177 ticks with a line in the lab's election
night at twice capacity, mostly two to four ticks in a row, and the load fell to one or two
requests in flight a second or two later: the site idled (a quarter to a third of a core,
several times a minute) while thousands waited. A burst is not a site that has filled up: the
stop acts on a load that has stayed at the limit for a few seconds, which still shuts the
door within ``LOAD_SECONDS`` of a real loss of capacity (instances gone, a slow database); the
price is that a load that builds up for good (people who stay and keep requesting) can pass
the limit by what the rate lets in over those seconds. The rate itself, which moves by at most
a fifth a second, follows the tick's reading as before. The smoothed load keeps going while
the room is off (:meth:`InletPolicy.follow`): the burst that turns the room on is not a reason
to shut its door on its first tick.

The line's share. The room queues only the site's stateful part: the pages worked out from
the request alone (tools, search) are open to everyone, in front of the line, and admission
control ranks them with the pass holders. So the load the inlet reads is partly the room's
own people and partly people it never sees, and the two are told apart: ``holders_busy`` is
the pass holders' share of ``busy`` (their requests' mean concurrency, counted by admission
control by permit, ``CapacitySignal.holders_busy_seconds``, so a sign-in that steps aside
for its password hash counts for neither), and the rest, ``open = busy - holders_busy``,
is everyone else's: the open pages', and requests sent without a pass. Everything above is
then written for the line alone::

    aim_line   = max(aim - open, line_share * aim)
    expected   = holders_busy + per_holder * pending
    limit_line = max(limit - open_load, line_share * limit)      (open_load smoothed)
    room_for   = floor((limit_line - held_line) / per_holder),  held_line = line_load + ...

and ``per_holder`` is learned from ``holders_busy / active``. Why three things change.

- ``per_holder``: with one ``busy`` for both, a holder "caused" the open pages' concurrency
  too, and each person let in looked costlier than they were.
- The refusals that hold the rate are the line's own people's (``line_refused``: admission
  control shed a pass holder's request), not anyone's. While the open pages ask for more
  than the site has, someone is turned away on most ticks, and the rate could never grow
  again, whatever the line had.
- The inlet aims the line at up to ``line_share`` of the limit whatever the open pages take,
  and at whatever they leave beyond that. Without it, open pages that filled the limit would
  leave the line nothing (the stop reads the limit as full): people who came to apply would
  lose their turn to people trying a calculator. It is the inlet's aim, not a reservation:
  admission control ranks the line's people with the open pages, so on a saturated site both
  are turned away alike, ``line_refused`` holds the rate, and the line gets less.

What the lab showed (``surge-hold`` at 150 arrivals a second, one run each, the same
sitting): the site was full of work admission control does not count (readers' cached
pages, the waiting page's polls), its limit sat at 8-12, and the holders already kept most
of it busy (6.4 of 7.4 requests in flight on average): the tools did not starve the line
there, the share never bound. Counting the line apart let in 1,563 people against 1,203-1,372
in three runs before, 701 receipts against 594-634; but the same code run again later let in
1,210 (551 receipts), and the count taken by permit 1,073-1,261 (488-528) in that sitting: no
gain for the line is shown beyond the noise of single runs. A first count, taken in the
gate, did no better than none: in front of admission control it counted the holders'
requests while they queued there and waited for the loop, and on one tick in six read more
holders in flight than admission control had requests in all (16 against 10), the line
filling the site alone.

With no open pages (``holders_busy = busy``; the people the room turns away get its page,
not a 503) every formula is the one above; ``line_share`` 0 gives the line only what is left.

Operators can pause, cap admissions per minute, or replace the loop by a fixed rate a minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InletInputs:
    limit: int
    busy: float  # mean requests in flight since the previous tick
    holders_busy: float  # ... of them, pass holders' requests (the rest: the open pages')
    line_refused: bool  # admission control shed one of the line's people since the last tick
    active: int
    pending: int
    waiting: int  # people in line, places not yet served
    elapsed_seconds: float  # since the previous tick
    paused: bool
    fixed_rate_per_minute: int | None
    admit_cap_per_minute: int | None


class InletPolicy:
    _MIN_HOLDERS_TO_LEARN = 10
    _SMOOTHING = 0.2
    _MAX_UP = 1.5  # the most one tick multiplies the rate by
    _MAX_DOWN = 2.0  # ... or divides it by
    MIN_RATE = 1.0  # people a second: the slowest the line ever moves while it can
    LOAD_SECONDS = 3.0  # time constant of the load the stop reads (see the module docstring)

    def __init__(
        self,
        *,
        target_utilisation: float,
        requests_per_session: float,
        max_admit_per_tick: int,
        gain: float = 0.3,
        line_share: float = 0.5,
    ) -> None:
        self.target_utilisation = target_utilisation
        self.gain = gain
        self.line_share = line_share
        self.per_holder = requests_per_session
        self.max_admit_per_tick = max_admit_per_tick
        self.rate = self.MIN_RATE  # people a second the inlet lets in
        self._carry = 0.0  # fractions of a person owed by the rate, fixed rates and caps
        self._load: float | None = None  # busy, smoothed (None: not read yet)
        self._line_load = 0.0  # holders_busy, smoothed alike

    def _learn(self, inputs: InletInputs) -> None:
        # A tick with nothing in flight says nothing about how busy a holder keeps the site
        # (between two requests everybody is reading); learning from it would drag the
        # estimate to zero.
        if inputs.active >= self._MIN_HOLDERS_TO_LEARN and inputs.holders_busy > 0:
            sample = inputs.holders_busy / inputs.active
            self.per_holder += self._SMOOTHING * (sample - self.per_holder)

    def _steer(self, inputs: InletInputs) -> None:
        """Move the rate towards the load aimed at (see the module docstring)."""
        elapsed = inputs.elapsed_seconds
        aim = self.target_utilisation * inputs.limit
        aim_line = self._for_the_line(aim, inputs.busy - inputs.holders_busy)
        expected = inputs.holders_busy + self.per_holder * inputs.pending
        # nobody inside yet: grow only into room there is (none with line_share 0 on a full site)
        idle = self._MAX_UP if aim_line > 0 else 1.0
        ratio = aim_line / expected if expected > 0 else idle
        ratio = min(self._MAX_UP, max(1 / self._MAX_DOWN, ratio))
        if inputs.line_refused:
            ratio = min(ratio, 1.0)
        rate = self.rate * ratio ** min(1.0, self.gain * elapsed)
        if rate > self.rate:  # growing: not past what the line could use
            rate = min(rate, max(self.rate, 2.0 * inputs.waiting / elapsed))
        self.rate = min(max(rate, self.MIN_RATE), self.max_admit_per_tick / elapsed)

    def _for_the_line(self, whole: float, others: float) -> float:
        """The part of ``whole`` the line may fill while everyone else keeps ``others``
        busy: what they leave, and at least its share (see the module docstring)."""
        return max(whole - max(0.0, others), self.line_share * whole)

    def _people_room(self, whole: float, pending: int) -> float:
        """How many more people the line's part of ``whole`` concurrency would hold, by the
        smoothed loads, with ``pending`` people let in still to come (may be negative)."""
        load = self._load or 0.0
        held = self._line_load + self.per_holder * pending
        return (self._for_the_line(whole, load - self._line_load) - held) / self.per_holder

    def _smoothed_load(self, busy: float, holders_busy: float, elapsed: float) -> float:
        """``busy`` through an exponential mean of time constant ``LOAD_SECONDS`` (and
        ``holders_busy`` alike, into ``_line_load``)."""
        if self._load is None:
            self._load, self._line_load = busy, holders_busy
        else:
            weight = 1.0 - math.exp(-elapsed / self.LOAD_SECONDS)
            self._load += weight * (busy - self._load)
            self._line_load += weight * (holders_busy - self._line_load)
        return self._load

    def follow(
        self,
        entry_rate: float,
        busy: float,
        elapsed_seconds: float,
        holders_busy: float | None = None,
    ) -> None:
        """While the room is off: start from the pace people enter at when it turns on, and
        keep the smoothed loads going (``holders_busy`` None: all of ``busy`` is theirs)."""
        self.rate = max(self.MIN_RATE, entry_rate)
        self._carry = 0.0
        self._smoothed_load(busy, busy if holders_busy is None else holders_busy, elapsed_seconds)

    def expect_opening(
        self,
        limit: int,
        busy: float,
        elapsed_seconds: float,
        holders_busy: float,
        *,
        arrival_seconds: float,
        waiting: int,
    ) -> None:
        """While the crowd of a scheduled opening gathers (the pre-queue, ``waiting`` people
        in it): start from the pace that fills the room the site has for the line over the
        time the people let in take to come back (see "An opening" in the module docstring),
        and keep the smoothed loads going as :meth:`follow` does."""
        self._smoothed_load(busy, holders_busy, elapsed_seconds)
        rate = self._people_room(self.target_utilisation * limit, 0) / arrival_seconds
        # not past what the line could use, as when the rate grows (``_steer``)
        self.rate = max(self.MIN_RATE, min(rate, 2.0 * waiting, float(self.max_admit_per_tick)))
        self._carry = 0.0

    def decide(self, inputs: InletInputs) -> int:
        self._learn(inputs)
        if inputs.paused:
            self._carry = 0.0
            return 0
        fixed, cap = inputs.fixed_rate_per_minute, inputs.admit_cap_per_minute
        if fixed is not None:
            return self._by_rate(self.pace(fixed, cap), inputs.elapsed_seconds)
        if inputs.elapsed_seconds <= 0:
            return 0  # the clock has not moved: nothing is owed yet
        self._steer(inputs)
        # Never more than the whole rest of the limit would hold; none when it has been full
        # for a few seconds, not for one tick's burst. The rate is kept (at least MIN_RATE),
        # so the line moves again as soon as it is not.
        self._smoothed_load(inputs.busy, inputs.holders_busy, inputs.elapsed_seconds)
        room_for = math.floor(self._people_room(inputs.limit, inputs.pending))
        if room_for <= 0:
            self._carry = 0.0
            return 0
        return min(room_for, self._by_rate(self.pace(fixed, cap), inputs.elapsed_seconds))

    def pace(self, fixed_rate_per_minute: int | None, admit_cap_per_minute: int | None) -> float:
        """People a second the inlet lets in: an operator's fixed rate, else its own rate
        under the operator's cap (what the waiting page times first polls by, too)."""
        if fixed_rate_per_minute is not None:
            return fixed_rate_per_minute / 60
        if admit_cap_per_minute is not None:
            return min(self.rate, admit_cap_per_minute / 60)
        return self.rate

    def _by_rate(self, per_second: float, elapsed: float) -> int:
        owed = self._carry + per_second * elapsed
        admit = min(math.floor(owed), self.max_admit_per_tick)
        # a fraction carries over; a backlog beyond one tick's cap does not pile up
        self._carry = min(owed - admit, 1.0)
        return admit

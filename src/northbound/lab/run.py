"""One surge against one site: seed accounts, measure capacity, send the crowd, check that
nothing was lost, summarise. ``lab run`` calls it for a site someone else runs; ``lab
compare`` for each site it starts itself.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .audit import SiteData, SubmissionCheck, check
from .browser import Behaviour, GaveUp
from .crowd import Crowd, CrowdOptions, CrowdResult, session_for
from .journeys import Crew, JourneyFailed, seed_account
from .profiles import Schedule
from .report import run_summary
from .server import raise_fd_limit

T = TypeVar("T")


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a fresh event loop: uvloop's when installed (it comes with
    ``uvicorn[standard]``), about 1.5x the requests per second of asyncio's on one core."""
    raise_fd_limit()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


@dataclass
class RunPlan:
    """What one surge does; bounds that scale with the duration come from
    :func:`~.compare.plan_for`."""

    target: str
    schedule: Schedule
    behaviour: Behaviour = field(default_factory=Behaviour)
    seed: int = 1
    own_addresses: bool = True
    database_url: str | None = None  # read the site's data: outbox links and the audit
    server_pids: tuple[int, ...] = ()  # the site's processes, to report how busy they were
    seed_accounts: int = 8
    capacity_seconds: float = 8.0
    capacity_workers: int = 24
    drain: float = 20.0
    max_requests: int = 2_000_000


@dataclass
class RunOutcome:
    summary: dict[str, Any]
    result: CrowdResult
    capacity_rps: float
    submissions: SubmissionCheck | None


async def seed(crowd: Crowd, count: int) -> None:
    """Accounts with a submitted application, for the status checkers."""
    crowd.clock_start()
    patient = Behaviour(patience_median=120.0, patience_sigma=0.0, reloaders=0.0)

    async def one(index: int) -> None:
        async with session_for(crowd.options, 2_000_000 + index) as session:
            person = crowd.browser(session, patient)
            try:
                await seed_account(person, crowd.crew, index)
            except (GaveUp, JourneyFailed):
                return  # fewer accounts to check; status checkers use those there are

    await asyncio.gather(*(one(i) for i in range(count)))


async def surge(plan: RunPlan, progress: Any = None, capacity: float | None = None) -> RunOutcome:
    """Seed, measure capacity (unless ``capacity`` is known: ``lab compare`` measures it on
    a separate instance so the measurement leaves nothing behind, such as a line in the
    waiting room), run the crowd, audit the receipts."""
    site = SiteData(plan.database_url) if plan.database_url else None
    crew = Crew(rng=random.Random(plan.seed + 1), outbox=site.verification_link if site else None)
    options = CrowdOptions(
        base_url=plan.target,
        behaviour=plan.behaviour,
        seed=plan.seed,
        own_addresses=plan.own_addresses,
        drain=plan.drain,
        max_requests=plan.max_requests,
        server_pids=plan.server_pids,
        progress=progress,
    )
    try:
        await seed(Crowd(options, crew), plan.seed_accounts)
        if capacity is None:
            capacity = await Crowd(options, crew).closed_loop(
                plan.schedule.mix_at(0), plan.capacity_workers, plan.capacity_seconds
            )
        result = await Crowd(options, crew).run(plan.schedule)
        submissions = None
        if site is not None:
            stored = await site.submissions(f"lab-{crew.run_id}-%")
            submissions = check(crew.acknowledged, stored)
    finally:
        if site is not None:
            await site.close()
    summary = run_summary(plan.target, result, capacity, submissions, plan.schedule.peak_stretch())
    return RunOutcome(summary, result, capacity, submissions)

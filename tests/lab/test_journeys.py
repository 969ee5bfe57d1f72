"""Each journey, as a state machine of pages, against the real site in-process: with the
waiting room off, and with it always on (every person goes through the line first). The
receipts people were shown are then checked against the database, and a planted loss and a
planted duplicate are caught."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from northbound.cli import cli
from northbound.lab.addresses import person_address
from northbound.lab.audit import SiteData, check
from northbound.lab.browser import AiohttpTransport, Behaviour, Browser
from northbound.lab.journeys import JOURNEYS, Crew, seed_account
from northbound.lab.recorder import Recorder
from northbound.lab.report import write_ledger
from northbound.portal.applications.models import Application
from tests.support.apps import LiveSite

QUICK = Behaviour(think_seconds=(0.0, 0.0), patience_median=60, reloaders=0.0)


async def person(site: LiveSite, index: int, recorder: Recorder,
                 crew: Crew, journey: str) -> Browser:  # fmt: skip
    connector = aiohttp.TCPConnector(local_addr=(person_address(index), 0))
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        loop = asyncio.get_running_loop()
        browser = Browser(
            site.url, recorder, loop.time, AiohttpTransport(session), QUICK, 60.0, False
        )
        if journey == "seed":
            await seed_account(browser, crew, index)
        else:
            await JOURNEYS[journey](browser, crew)
        return browser


@pytest.fixture
async def site_data(site: LiveSite) -> AsyncIterator[SiteData]:
    data = SiteData(site.database_url)
    yield data
    await data.close()


async def test_every_journey_completes_and_nothing_is_lost(
    site: LiveSite, site_data: SiteData
) -> None:
    crew = Crew(rng=random.Random(4), outbox=site_data.verification_link)
    recorder = Recorder()
    await person(site, 1, recorder, crew, "seed")
    assert len(crew.accounts) == 1 and len(crew.acknowledged) == 1
    for index, journey in enumerate(
        [
            "reader",
            "tool_user",
            "tool_user",
            "tool_user",
            "applicant",
            "applicant",
            "status_checker",
            "status_checker",
        ],
        start=2,
    ):
        await person(site, index, recorder, crew, journey)
    assert len(crew.acknowledged) == 3  # the seed and two applicants
    assert recorder.outcomes["failed"] == 0 and recorder.transport_errors == {}
    stored = await site_data.submissions(f"lab-{crew.run_id}-%")
    result = check(crew.acknowledged, stored)
    assert (result.found, result.lost, result.duplicated) == (3, 0, 0)


async def test_the_check_catches_a_planted_loss_and_a_planted_duplicate(
    site: LiveSite, site_data: SiteData
) -> None:
    crew = Crew(rng=random.Random(9))
    recorder = Recorder()
    for index in (20, 21, 22):
        await person(site, index, recorder, crew, "applicant")
    assert check(crew.acknowledged, await site_data.submissions(f"lab-{crew.run_id}-%")).lost == 0
    victim = crew.acknowledged[1].receipt
    async with site_data.db.session() as session, session.begin():
        await session.execute(delete(Application).where(Application.receipt_number == victim))
    planted = check(crew.acknowledged, await site_data.submissions(f"lab-{crew.run_id}-%"))
    assert (planted.lost, planted.lost_receipts, planted.found) == (1, (victim,), 2)
    # a second submitted application for one person: a duplicate
    async with site_data.db.session() as session, session.begin():
        original = (
            await session.execute(
                select(Application).where(
                    Application.receipt_number == crew.acknowledged[0].receipt
                )
            )
        ).scalar_one()
        session.add(
            Application(
                id="f" * 32,
                user_id=original.user_id,
                kind=original.kind,
                state="submitted",
                answers="{}",
                receipt_number="PR-000-000-0000",
                created_at=original.created_at,
                updated_at=original.updated_at,
            )
        )
    doubled = check(crew.acknowledged, await site_data.submissions(f"lab-{crew.run_id}-%"))
    assert doubled.duplicated == 1 and doubled.lost == 1


async def test_journeys_go_through_the_waiting_room(site_in_line: LiveSite) -> None:
    crew = Crew(rng=random.Random(2))
    recorder = Recorder()
    await person(site_in_line, 40, recorder, crew, "seed")
    people = await asyncio.gather(
        *(
            person(site_in_line, 41 + i, recorder, crew, journey)
            for i, journey in enumerate(["reader", "applicant", "tool_user", "status_checker"])
        )
    )
    visits = [visit for p in people for visit in p.rooms]
    assert visits, "nobody was sent to the waiting room"
    assert all(v.admitted_at is not None and v.position is not None for v in visits)
    assert recorder.outcomes["waiting"] >= len(visits)
    assert len(crew.acknowledged) == 2  # the seed and the applicant, through the line


def test_lab_audit_command_exits_3_on_a_loss(site: LiveSite, tmp_path: Path) -> None:
    crew = Crew(rng=random.Random(13))

    async def apply_and_check() -> None:
        recorder = Recorder()
        for index in (60, 61):
            await person(site, index, recorder, crew, "applicant")

    asyncio.run(apply_and_check())
    write_ledger(tmp_path, "night", crew)
    audit = ["lab", "audit", str(tmp_path), "--database-url", site.database_url, "--name", "night"]
    clean = CliRunner().invoke(cli, audit)
    assert clean.exit_code == 0 and '"lost": 0' in clean.output

    async def lose_one() -> None:
        data = SiteData(site.database_url)
        try:
            async with data.db.session() as session, session.begin():
                await session.execute(
                    delete(Application).where(
                        Application.receipt_number == crew.acknowledged[0].receipt
                    )
                )
        finally:
            await data.close()

    asyncio.run(lose_one())
    lossy = CliRunner().invoke(cli, audit)
    assert lossy.exit_code == 3 and '"lost": 1' in lossy.output

"""The Locust integration: the profile as a user count, journeys driven without an event
loop, and a short headless Locust run against the real site (in its own process: Locust
monkey-patches the standard library with gevent)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from northbound.lab import profiles
from northbound.lab.shape import Suspended, drive, users_at
from tests.support.apps import LiveSite

LOCUSTFILE = Path(__file__).resolve().parents[2] / "src" / "northbound" / "lab" / "locustfile.py"


def test_users_follow_the_arrival_rate_by_littles_law() -> None:
    schedule = profiles.bind(profiles.load("election-night"), duration=960, speed=60)
    assert users_at(schedule, 0, 30) == 5 * 30  # 5 people/s, 30 s each
    assert users_at(schedule, 300, 30) == 12 * 5 * 30  # 11 p.m.: 12x
    assert users_at(schedule, 960, 30) is None  # the run is over: Locust stops


def test_drive_runs_a_journey_that_never_suspends() -> None:
    async def journey() -> int:
        async def step() -> int:
            return 20

        return await step() + 1

    assert drive(journey()) == 21


def test_drive_refuses_a_journey_that_needs_an_event_loop() -> None:
    async def journey() -> None:
        await asyncio.sleep(0)

    with pytest.raises(Suspended):
        drive(journey())


@pytest.mark.slow
def test_a_short_locust_run_against_the_site(site: LiveSite, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NORTHBOUND_LAB_PROFILE": "steady",
        "NORTHBOUND_LAB_DURATION": "6",
        "NORTHBOUND_LAB_BASELINE_RPS": "1",
        "NORTHBOUND_LAB_JOURNEY_SECONDS": "3",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            site.url,
            "--json",
            "--only-summary",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    stats = json.loads(completed.stdout[completed.stdout.index("[") :])
    requests = {entry["name"]: entry["num_requests"] for entry in stats}
    assert sum(requests.values()) >= 3
    assert any(name in ("/en/", "/fr/") for name in requests)  # readers came
    assert sum(entry["num_failures"] for entry in stats) == 0

"""Locust: the same profiles and journeys, for teams that already use Locust.

    locust -f "$(python -c 'import northbound.lab.locustfile as m; print(m.__file__)')" \\
        --headless --host http://127.0.0.1:8000

Settings come from the environment: ``NORTHBOUND_LAB_PROFILE`` (default election-night, or
a YAML file), ``NORTHBOUND_LAB_DURATION`` (run seconds, default 600),
``NORTHBOUND_LAB_BASELINE_RPS`` (default: the profile's) and
``NORTHBOUND_LAB_JOURNEY_SECONDS`` (seconds one journey takes, for Little's law; default 30).

Each Locust user is a run of people: before each journey it forgets its cookies and takes
the next loopback source address, then follows the journey with the same browser behaviour
as the lab's crowd (waiting page, Retry-After, impatience), through Locust's HttpSession so
Locust's statistics see every request. Locust measures from the actual send and its users
wait for each other (a closed loop): for coordinated-omission-free numbers use ``northbound
lab run``; this file is for comparing with what a Locust setup already measures.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import time
from typing import Any

import gevent
import requests
from locust import HttpUser, LoadTestShape, task
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from northbound.lab import profiles
from northbound.lab.addresses import is_loopback_host, person_address
from northbound.lab.arrivals import pick
from northbound.lab.browser import Behaviour, Browser, GaveUp, Page
from northbound.lab.journeys import JOURNEYS, Crew, JourneyFailed, seed_account
from northbound.lab.recorder import Recorder
from northbound.lab.shape import drive, users_at

SCHEDULE = profiles.bind(
    profiles.load(os.environ.get("NORTHBOUND_LAB_PROFILE", "election-night")),
    float(os.environ.get("NORTHBOUND_LAB_DURATION", "600")),
    float(os.environ["NORTHBOUND_LAB_BASELINE_RPS"])
    if os.environ.get("NORTHBOUND_LAB_BASELINE_RPS")
    else None,
)
JOURNEY_SECONDS = float(os.environ.get("NORTHBOUND_LAB_JOURNEY_SECONDS", "30"))
BEHAVIOUR = Behaviour()
CREW = Crew(rng=random.Random(1))
SEED_ACCOUNTS = 4
STARTED = time.monotonic()
_addresses = itertools.count(3_000_000)


def clock() -> float:
    return time.monotonic() - STARTED


async def gevent_sleep(seconds: float) -> None:
    gevent.sleep(seconds)  # a switch to other users, not an asyncio suspension


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address (the person's)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class RequestsTransport:
    """Sends through a requests session (Locust's HttpSession records each request)."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session

    async def send(self, method: str, url: str, limit: float, **kwargs: Any) -> Page | str:
        try:
            response = self.session.request(
                method, url, allow_redirects=False, timeout=limit, **kwargs
            )
        except requests.Timeout:
            return "slow"
        except requests.ConnectionError:
            return "connect"
        error = getattr(response, "error", None)  # HttpSession keeps failures on the response
        if isinstance(error, requests.Timeout):
            return "slow"
        if isinstance(error, requests.ConnectionError) or response.status_code == 0:
            return "connect"
        return Page(
            response.status_code, response.content, CaseInsensitiveDict(response.headers), url
        )


def person(session: requests.Session, base_url: str) -> Browser:
    """A new person: no cookies, their own address (on a loopback target)."""
    session.cookies.clear()
    host = base_url.split("//", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if is_loopback_host(host):
        session.mount("http://", SourceAddress(person_address(next(_addresses))))
    patience = random.lognormvariate(0, BEHAVIOUR.patience_sigma) * BEHAVIOUR.patience_median
    return Browser(
        base_url,
        Recorder(),
        clock,
        RequestsTransport(session),
        BEHAVIOUR,
        patience,
        random.random() < BEHAVIOUR.reloaders,
        sleep=gevent_sleep,
    )


class Person(HttpUser):
    """People arriving one after another, each doing one journey from the profile's mix."""

    @task
    def journey(self) -> None:
        name = pick(SCHEDULE.mix_at(clock()), CREW.rng)
        host = (self.host or "").rstrip("/")
        # an abandoned or failed journey is in Locust's statistics already, request by request
        with contextlib.suppress(GaveUp, JourneyFailed):
            if name == "status_checker" and len(CREW.accounts) < SEED_ACCOUNTS:
                # the first status checkers make the accounts the later ones check
                drive(seed_account(person(self.client, host), CREW, len(CREW.accounts)))
            drive(JOURNEYS[name](person(self.client, host), CREW))


class ProfileShape(LoadTestShape):
    """The profile's arrival rate as a user count (Little's law, see northbound.lab.shape)."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = float(self.get_run_time())  # type: ignore[no-untyped-call]  # Locust's own
        users = users_at(SCHEDULE, elapsed, JOURNEY_SECONDS)
        if users is None:
            return None
        return users, float(max(1, users))

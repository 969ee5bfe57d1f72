"""The opening second of a parents-and-grandparents intake, against the real site.

Thousands of signed-in sponsors ask for the interest-to-sponsor form: some in the seconds
before the opening (the waiting room's pre-queue), most within the opening second. Each one
follows the waiting room (its JSON twin: 429 + ``Retry-After`` until admitted), fills in the
form, sends it (again with the same idempotency key after a 503 or 429), and reads the
confirmation number from the page it is sent to (the crowd: ``opening_crowd.py`` beside this
script). Then the script checks the database and prints:

- every request's status (and how many were 500s: the answer must be none);
- acknowledged forms, and whether each is in the database exactly once, for its sponsor;
- the order people got in compared with the order they arrived: random among early arrivals
  (the pre-queue shuffle), first come first served after the opening (Spearman correlation
  of arrival rank and place in line, and the share of pairs out of order).

It then closes the intake, runs the draw, sends one round of invitations and verifies the
draw from the public JSON with ``northbound lottery verify --url``.

How the sponsors are made: accounts and sessions are written straight to the database through
the models (one argon2 hash, with cheap parameters, shared by every account; the session
tokens are random, only their SHA-256 is stored, as the site does). Signing thousands of people
in through the site would measure argon2, not the opening.

Traffic goes only to 127.0.0.1 (each sponsor from its own 127.x.y.z address, so per-address
rate limits apply as they would to real people), the server is pinned to CPU 0 and this
script to CPU 1, and the whole run is bounded by ``--seconds`` (default 60).

    .venv/bin/python bench/lottery_opening.py --sponsors 3000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from northbound.lab.addresses import person_address
from northbound.lab.server import free_port, pin, pin_self, wait_until_up
from opening_crowd import HOST, Sponsor, crowd, order_report  # beside this script

ROOT = Path(__file__).resolve().parent.parent
NORTHBOUND = str(Path(sys.executable).parent / "northbound")  # the command beside this Python
ADMIN_TOKEN = "bench-admin-token-" + secrets.token_hex(8)
SECRET_KEY = secrets.token_urlsafe(32)  # the site's: its sessions are signed with it


# -- setting up ------------------------------------------------------------------------------


async def seed(database_url: str, count: int) -> tuple[list[tuple[int, str]], int]:
    """``count`` sponsor accounts with live sessions, and one staff account (``lottery
    invite`` refuses to run without one: the invitations are sent in a staff member's name)."""
    from northbound.portal.accounts.config import AccountSettings
    from northbound.portal.accounts.models import AccountSession, User
    from northbound.portal.accounts.passwords import PasswordHashing
    from northbound.portal.accounts.sessions import new_token, token_digest
    from northbound.storage.database import Database

    cheap = AccountSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)
    shared_hash = await PasswordHashing(cheap).hash("opening second password")
    now = datetime.now(UTC)
    db = Database(database_url)
    try:
        async with db.session() as session, session.begin():
            users = [
                User(
                    email=f"sponsor{i}@example.com",
                    password_hash=shared_hash,
                    language="fr" if i % 4 == 0 else "en",
                    email_verified_at=now,
                    created_at=now,
                    is_staff=False,
                    failed_sign_ins=0,
                )
                for i in range(count)
            ]
            staff = User(
                email="staff@example.com",
                password_hash=shared_hash,
                language="en",
                email_verified_at=now,
                created_at=now,
                is_staff=True,
                failed_sign_ins=0,
            )
            session.add_all([*users, staff])
            await session.flush()
            pairs = [(u.id, new_token(SECRET_KEY.encode())) for u in users]
            session.add_all(
                [
                    AccountSession(
                        id=token_digest(token),
                        user_id=user_id,
                        created_at=now,
                        last_seen_at=now,
                        expires_at=now + timedelta(hours=8),
                    )
                    for user_id, token in pairs
                ]
            )
            return pairs, staff.id
    finally:
        await db.dispose()


async def create_intake(database_url: str, opens_at: datetime) -> int:
    from northbound.portal.lottery import service
    from northbound.storage.database import Database

    db = Database(database_url)
    try:
        intake = await service.create_intake(
            db,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(hours=1),
            invitation_target=1000,
            application_cap=600,
            notice_en="Interest to sponsor: bench intake.",
            notice_fr="Intérêt à parrainer : période d'essai.",
            staff_id=None,
            now=datetime.now(UTC),
        )
        return intake.id
    finally:
        await db.dispose()


async def stored_entries(database_url: str, intake_id: int) -> list[tuple[str, int]]:
    from sqlalchemy import select

    from northbound.portal.lottery.models import Entry
    from northbound.storage.database import Database

    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(Entry.confirmation, Entry.user_id).where(Entry.intake_id == intake_id)
            )
            return [(str(c), int(u)) for c, u in rows.all()]
    finally:
        await db.dispose()


def command(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [NORTHBOUND, *arguments], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"northbound {' '.join(arguments)}: {done.stderr or done.stdout}")
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sponsors", type=int, default=3000)
    parser.add_argument(
        "--early-share",
        type=float,
        default=0.3,
        help="Share of sponsors who arrive before the opening.",
    )
    parser.add_argument(
        "--early-seconds",
        type=float,
        default=6.0,
        help="Early arrivals spread over this many seconds before the opening.",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="Hard bound on the crowd's run, from the first arrival.",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/DB (empty "
        "database); default: SQLite in a temporary folder",
    )
    args = parser.parse_args()
    if not 1 <= args.sponsors <= 60_000:
        parser.error("--sponsors must be from 1 to 60000")
    args.seconds = min(args.seconds, 60.0)

    work = Path(tempfile.mkdtemp(prefix="northbound-lottery-"))
    port = free_port()
    base = f"http://{HOST}:{port}"
    env = {
        **os.environ,
        "NORTHBOUND_DATA_DIR": str(work / "data"),
        "NORTHBOUND_SECRET_KEY": SECRET_KEY,
        "NORTHBOUND_LOG_LEVEL": "WARNING",
        "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
        "NORTHBOUND_BASE_URL": base,
        "NORTHBOUND_WAITING_ROOM__ADMIN_TOKEN": ADMIN_TOKEN,
        "NORTHBOUND_WAITING_ROOM__MIN_REFRESH_SECONDS": "1",
        "NORTHBOUND_WAITING_ROOM__MAX_REFRESH_SECONDS": "5",
    }
    if args.database_url:
        env["NORTHBOUND_DATABASE_URL"] = args.database_url
    env.pop("NORTHBOUND_REDIS_URL", None)  # one process: the room lives in the server
    from northbound.settings import Settings

    os.environ.update({k: v for k, v in env.items() if k.startswith("NORTHBOUND_")})
    database_url = Settings().effective_database_url
    command(env, "db", "upgrade")
    started = time.time()
    pairs, _ = asyncio.run(seed(database_url, args.sponsors))
    print(f"seeded {len(pairs)} sponsors with sessions in {time.time() - started:.1f} s")

    server_log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [*pin(0), NORTHBOUND, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"{base}/healthz")
        pin_self(1)
        # room for the command below and for making the clients (a few ms each)
        opens_at = datetime.now(UTC).replace(microsecond=0) + timedelta(
            seconds=int(args.early_seconds) + 6 + args.sponsors // 400
        )
        intake_id = asyncio.run(create_intake(database_url, opens_at))
        command(env, "lottery", "schedule-room", "--intake", str(intake_id), "--url", base)
        room = httpx.get(
            f"{base}/api/v1/admin/room/", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        ).json()  # the command prints the status for people: the room's own JSON, read back
        print(
            f"intake {intake_id} opens at {opens_at:%H:%M:%S} UTC; room scheduled: "
            f"opensAt={room['opensAt']}, on={room['on']}"
        )
        opening = opens_at.timestamp()
        rng = random.Random(2026)
        sponsors = []
        for index, (user_id, token) in enumerate(pairs):
            early = rng.random() < args.early_share
            when = (
                opening - rng.uniform(0.2, args.early_seconds)
                if early
                else opening + rng.uniform(0.0, 1.0)
            )
            sponsors.append(Sponsor(index, user_id, token, person_address(index), when, early))
        first = min(s.arrive_at for s in sponsors)
        deadline = first + args.seconds
        print(
            f"{sum(s.early for s in sponsors)} arrive in the {args.early_seconds:.0f} s "
            f"before the opening, {sum(not s.early for s in sponsors)} in the opening "
            f"second; bounded at {args.seconds:.0f} s"
        )
        samples: list[dict[str, Any]] = []
        asyncio.run(crowd(sponsors, port, intake_id, deadline, opening, samples, ADMIN_TOKEN))
        crowd_seconds = time.time() - first

        stored = asyncio.run(stored_entries(database_url, intake_id))
        by_number = Counter(c for c, _ in stored)
        owner = {c: u for c, u in stored}
        acked = [s for s in sponsors if s.acknowledged]
        per_user = Counter(u for _, u in stored)
        # exactly once: one stored form for this sponsor, and (when the page was read) it is
        # the number the sponsor was shown
        exactly_once = sum(
            1
            for s in acked
            if per_user.get(s.user_id) == 1
            and (
                s.acknowledged == "unread"
                or (
                    by_number.get(s.acknowledged or "") == 1
                    and owner.get(s.acknowledged or "") == s.user_id
                )
            )
        )
        statuses: Counter[str] = Counter()
        for s in sponsors:
            statuses.update(f"{kind} {status}" for kind, status in s.statuses)
        five_hundreds = sum(n for key, n in statuses.items() if key.endswith(" 500"))
        statuses = Counter(
            {
                key.replace(" 0", " no answer") if key.endswith(" 0") else key: n
                for key, n in statuses.items()
            }
        )
        ack_times = [s.got_in for s in acked if s.got_in]
        report = {
            "sponsors": len(sponsors),
            "crowdSeconds": round(crowd_seconds, 1),
            "requests": sum(statuses.values()),
            "statuses": dict(sorted(statuses.items())),
            "responses500": five_hundreds,
            # what the server logged as unexpected (a 500 the client may never have seen)
            "serverUnexpectedErrors": (work / "server.log")
            .read_text(errors="replace")
            .count('"unexpected error"'),
            "noAnswer": dict(Counter(e for s in sponsors for e in s.errors)),
            "acknowledged": len(acked),
            "acknowledgedFoundExactlyOnce": exactly_once,
            "storedForms": len(stored),
            "sponsorsWithMoreThanOneForm": sum(1 for n in per_user.values() if n > 1),
            "storedButNotAcknowledged": len(stored) - len(acked),
            "lastGotInAfterOpeningSeconds": round(max(ack_times) - opening, 1)
            if ack_times
            else None,
            "acknowledgedNumberUnread": sum(1 for s in acked if s.acknowledged == "unread"),
            "arrivedBeforeOpening": order_report(
                [s for s in sponsors if s.arrived is not None and s.arrived < opening]
            ),
            "arrivedAfterOpening": order_report(
                [s for s in sponsors if s.arrived is not None and s.arrived >= opening]
            ),
        }
        early_places = [
            s.place
            for s in sponsors
            if s.place is not None and s.arrived is not None and s.arrived < opening
        ]
        report["lateArrivalsPlacedAheadOfEveryEarlyArrival"] = sum(
            1
            for s in sponsors
            if s.place is not None
            and s.arrived is not None
            and s.arrived >= opening
            and early_places
            and s.place < min(early_places)
        )
        print(json.dumps(report, indent=2))
        print("the room every 2 s (t: seconds from the opening):")
        for sample in samples:
            print("  " + json.dumps(sample))

        # the opening is over: the operator lets anyone still in line through
        command(env, "room", "close", "--url", base)

        # the rest of the intake, with the commands staff would use
        print(command(env, "lottery", "close", "--intake", str(intake_id)))
        print(command(env, "lottery", "draw", "--intake", str(intake_id)))
        # one round: half of the list, at most 600 (a round for more than the list is refused)
        invited = max(1, min(600, len(stored) // 2))
        print(
            command(env, "lottery", "invite", "--intake", str(intake_id), "--count", str(invited))
        )
        print(command(env, "lottery", "verify", "--intake", str(intake_id), "--url", base))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

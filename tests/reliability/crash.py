"""Crash test: submissions survive ``kill -9`` exactly once.

Starts ``northbound serve`` as a subprocess, has many concurrent clients submit applications
through the JSON API (each with its own Idempotency-Key, retried until answered), kills the
server with SIGKILL at random moments, restarts it, and finally checks the database:

* every receipt a client received is stored, exactly once, under the key it was sent with;
* every key produced exactly one application (no duplicates from retries);
* a retry with an already-answered key returns the same receipt.

Run as a script to print the counts::

    .venv/bin/python -m tests.reliability.crash --backend sqlite
    .venv/bin/python -m tests.reliability.crash --backend postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from northbound.lab.server import free_port

ROOT = Path(__file__).resolve().parents[2]
NORTHBOUND = str(ROOT / ".venv" / "bin" / "northbound")
PASSWORD = "crash test passphrase"
ANSWERS = {
    "family_name": "Crash",
    "given_names": "Test",
    "date_of_birth": "1985-06-15",
    "country_of_birth": "Norway",
    "program": "express_entry",
    "country_of_residence": "Norway",
    "education": "master",
    "language_clb": "9",
    "years_experience": "5",
}
RETRYABLE = (httpx.TransportError, httpx.TimeoutException)


@dataclass
class Counts:
    backend: str
    kills: int = 0
    clients: int = 0
    submissions: int = 0
    requests_sent: int = 0
    transport_errors: int = 0
    server_errors: int = 0
    acknowledged: int = 0
    committed_but_unanswered: int = 0  # first answer was a replay: the crash ate a response
    replays_checked: int = 0
    replays_same_receipt: int = 0
    applications_in_database: int = 0
    acknowledged_found_once: int = 0
    lost: int = 0
    duplicates: int = 0
    receipt_mismatches: int = 0
    elapsed_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicates == 0
            and self.receipt_mismatches == 0
            and self.acknowledged == self.submissions
            and self.acknowledged_found_once == self.acknowledged
            and self.replays_same_receipt == self.replays_checked
            and self.applications_in_database == self.submissions
            and not self.problems
        )


class Server:
    """``northbound serve`` in its own process group, so SIGKILL takes all of it."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = env
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [NORTHBOUND, "serve", "--port", str(self.port), "--unprotected"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    async def wait_ready(self, limit_seconds: float = 30) -> None:
        deadline = time.monotonic() + limit_seconds
        async with httpx.AsyncClient(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process and self.process.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.log}")
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).is_success:
                        return
                except RETRYABLE:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"server did not start in {limit_seconds}s; see {self.log}")


async def _post_until_answered(
    client: httpx.AsyncClient, key: str, counts: Counts, deadline: float
) -> dict[str, object]:
    """Send one submission, retrying with the same key until the server answers 200/201."""
    while time.monotonic() < deadline:
        counts.requests_sent += 1
        try:
            response = await client.post(
                "/api/v1/applications",
                headers={"idempotency-key": key},
                json={"kind": "pr_interest", "answers": ANSWERS},
            )
        except RETRYABLE:
            counts.transport_errors += 1
            await asyncio.sleep(0.05 + random.random() * 0.1)
            continue
        if response.status_code in (200, 201):
            body: dict[str, object] = response.json()
            body["replayed"] = response.headers.get("idempotent-replayed") == "true"
            return body
        if response.status_code >= 500:
            counts.server_errors += 1
            await asyncio.sleep(0.1)
            continue
        raise RuntimeError(f"unexpected {response.status_code}: {response.text[:300]}")
    raise TimeoutError(f"no answer for {key}")


async def _sign_in(client: httpx.AsyncClient, email: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            response = await client.post(
                "/api/v1/session", json={"email": email, "password": PASSWORD}
            )
        except RETRYABLE:
            await asyncio.sleep(0.1)
            continue
        if response.status_code == 204:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("could not sign in")


async def _signed_in_client(
    base_url: str, number: int, deadline: float
) -> tuple[str, httpx.AsyncClient]:
    """An account and a signed-in HTTP client (set up before the killing starts)."""
    email = f"crash-{number}@example.com"
    client = httpx.AsyncClient(base_url=base_url, timeout=5)
    while True:  # sixteen sign-ups at once: the hashing pool may ask some to come back
        created = await client.post("/api/v1/accounts", json={"email": email, "password": PASSWORD})
        if created.status_code != 503 or time.monotonic() > deadline:
            break
        await asyncio.sleep(float(created.headers.get("retry-after", "1")))
    assert created.status_code == 202, created.text
    await _sign_in(client, email, deadline)
    return email, client


async def _client(
    email: str,
    client: httpx.AsyncClient,
    submissions: int,
    counts: Counts,
    acknowledged: dict[tuple[str, str], str],
    deadline: float,
) -> None:
    try:
        for index in range(submissions):
            key = f"{email.split('@')[0]}-{index}-{uuid.uuid4().hex[:8]}"
            body = await _post_until_answered(client, key, counts, deadline)
            acknowledged[(email, key)] = str(body["receipt_number"])
            counts.acknowledged += 1
            counts.committed_but_unanswered += bool(body["replayed"])
            await asyncio.sleep(random.random() * 0.02)
        # Retry a few answered keys, as a person reloading after a timeout would.
        mine = [item for item in acknowledged.items() if item[0][0] == email]
        for (_, key), receipt in random.sample(mine, min(3, len(mine))):
            body = await _post_until_answered(client, key, counts, deadline)
            counts.replays_checked += 1
            counts.replays_same_receipt += body["receipt_number"] == receipt
    finally:
        await client.aclose()


async def _killer(server: Server, counts: Counts, kills: int) -> None:
    """Kill the server at random points while submissions are flowing.

    Kill *n* of *k* lands after a random share of the submissions in the n-th of k equal
    slices of the run has been answered, so every kill hits traffic in flight.
    """
    for n in range(kills):
        share = random.uniform(n + 0.2, n + 0.8) / kills
        # Polls a counter the clients bump; an Event per threshold would add nothing here.
        while counts.acknowledged < share * counts.submissions:  # noqa: ASYNC110
            await asyncio.sleep(0.002)
        await asyncio.sleep(random.uniform(0, 0.01))
        server.kill()
        counts.kills += 1
        await asyncio.sleep(random.uniform(0.05, 0.3))
        server.start()
        await server.wait_ready()


async def _stored(database_url: str) -> list[tuple[str, str, str]]:
    """(email, key, receipt) for every stored submission, read straight from the database."""
    from sqlalchemy import text

    from northbound.storage.database import Database

    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                text(
                    "SELECT u.email, i.key, a.receipt_number FROM application a "
                    "JOIN account_user u ON u.id = a.user_id "
                    "LEFT JOIN idempotency_record i ON i.user_id = a.user_id "
                    "AND i.result LIKE '%' || a.id || '%'"
                )
            )
            return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
    finally:
        await db.dispose()


def _check(
    counts: Counts, acknowledged: dict[tuple[str, str], str], stored: list[tuple[str, str, str]]
) -> None:
    counts.applications_in_database = len(stored)
    by_key: dict[tuple[str, str], list[str]] = {}
    for email, key, receipt in stored:
        by_key.setdefault((email, key), []).append(receipt)
    counts.duplicates = sum(len(r) - 1 for r in by_key.values()) + sum(
        1 for email, key, _ in stored if key == "None"
    )
    for identity, receipt in acknowledged.items():
        found = by_key.get(identity, [])
        if found == [receipt]:
            counts.acknowledged_found_once += 1
        elif not found:
            counts.lost += 1
        else:
            counts.receipt_mismatches += 1


async def run(
    backend: str,
    database_url: str,
    data_dir: Path,
    *,
    clients: int = 24,
    submissions: int = 10,
    kills: int = 2,
    seed: int | None = None,
) -> Counts:
    random.seed(seed)
    counts = Counts(backend=backend, clients=clients, submissions=clients * submissions)
    env = {
        **os.environ,
        "NORTHBOUND_DATA_DIR": str(data_dir),
        "NORTHBOUND_DATABASE_URL": database_url,
        "NORTHBOUND_SECRET_KEY": "crash-test-secret-key-0123456789",
        "NORTHBOUND_CONTENT_POLL_SECONDS": "0",
        "NORTHBOUND_ACCOUNTS__ARGON2_MEMORY_KIB": "1024",
        "NORTHBOUND_ACCOUNTS__ARGON2_TIME_COST": "1",
        "NORTHBOUND_ACCOUNTS__ARGON2_PARALLELISM": "1",
        "NORTHBOUND_ACCOUNTS__SIGN_IN_ATTEMPTS_PER_CLIENT": "100000",
    }
    await asyncio.to_thread(
        subprocess.run, [NORTHBOUND, "db", "upgrade"], env=env, check=True, capture_output=True
    )
    port = free_port()
    server = Server(env, port, data_dir / "server.log")
    server.start()
    started = time.monotonic()
    try:
        await server.wait_ready()
        acknowledged: dict[tuple[str, str], str] = {}
        deadline = time.monotonic() + 120
        base_url = f"http://127.0.0.1:{port}"
        people = await asyncio.gather(
            *(_signed_in_client(base_url, n, deadline) for n in range(clients))
        )
        workers = [
            asyncio.create_task(_client(email, client, submissions, counts, acknowledged, deadline))
            for email, client in people
        ]
        killer = asyncio.create_task(_killer(server, counts, kills))
        await asyncio.gather(*workers)
        await killer
    finally:
        server.kill()
    counts.elapsed_seconds = round(time.monotonic() - started, 2)
    _check(counts, acknowledged, await _stored(database_url))
    return counts


@contextmanager
def postgres_database() -> Iterator[str]:
    import asyncpg

    admin = os.environ.get("NORTHBOUND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"nb_crash_{uuid.uuid4().hex[:10]}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--submissions", type=int, default=10, help="per client")
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nb-crash-") as folder:
        data_dir = Path(folder)
        options = {
            "clients": args.clients,
            "submissions": args.submissions,
            "kills": args.kills,
            "seed": args.seed,
        }
        if args.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{data_dir / 'northbound.db'}"
            counts = asyncio.run(run("sqlite", url, data_dir, **options))
        else:
            with postgres_database() as url:
                counts = asyncio.run(run("postgres", url, data_dir, **options))
    print(json.dumps({**asdict(counts), "ok": counts.ok}, indent=2))
    return 0 if counts.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The crowd of ``bench/lottery_opening.py``: signed-in sponsors who ask for the
interest-to-sponsor form at an intake's opening, follow the waiting room's JSON twin (429 +
``Retry-After``) until let in, send the form (again, with the same idempotency key, after a
503, a 429 or a lost answer) and read the confirmation number from the page they are sent to;
and how the order they got in compares with the order they came in.

Each sponsor sends from their own loopback address (the lab's ``person_address``), with a
client of its own (:class:`Browser`) that costs far less CPU per request than httpx: a crowd
of thousands on one core must not be what decides when people arrive.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from northbound.defence import COOKIE_PREFIX
from northbound.surge.waiting_room.middleware import pass_cookie_name
from northbound.surge.waiting_room.tokens import claimed_position

HOST = "127.0.0.1"
FORM_PATH = "/en/parents-grandparents/{id}/interest-to-sponsor"
TOKEN = re.compile(r'name="(csrf_token|idempotency_key)" value="([^"]*)"')
CONFIRMATION = re.compile(r'class="receipt-number">(PG-\d{3}-\d{3}-\d{4})<')
PASS_COOKIE = pass_cookie_name(COOKIE_PREFIX, "main")


@dataclass
class Sponsor:
    index: int
    user_id: int
    token: str
    address: str
    arrive_at: float  # wall-clock time this sponsor is scheduled to arrive
    early: bool
    arrived: float | None = None  # when the first request was actually sent
    got_in: float | None = None  # when the form page was first served
    place: int | None = None  # last place in line the room reported
    acknowledged: str | None = None  # confirmation number shown after the 303
    statuses: list[tuple[str, int]] = field(default_factory=list)  # 0: no answer
    errors: list[str] = field(default_factory=list)


def answers(index: int) -> dict[str, str]:
    """A valid form, different for every sponsor (no two share a name, birth date or
    document, so none is refused as a duplicate)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = "".join(letters[(index // 26**k) % 26] for k in range(4))
    born = datetime(1950, 1, 1) + timedelta(days=index % 12000)
    return {
        "family_name": f"Sponsor{name}",
        "given_names": "Alex",
        "date_of_birth": born.strftime("%Y-%m-%d"),
        "country_of_birth": "Mexico",
        "address": f"{index} Main Street",
        "city": "Toronto",
        "province": "ON",
        "postal_code": "M5V 2T6",
        "email": f"sponsor{index}@example.com",
        "status_document": "pr_card",
        "status_document_number": f"PR{index:09d}",
        "person1_family_name": f"Parent{name}",
        "person1_given_names": "Rosa",
        "person1_date_of_birth": "1930-06-15",
        "person1_relationship": "parent",
        "declaration": "yes",
    }


# -- one sponsor -------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def retry_after(self, default: float = 1.0) -> float:
        value = self.headers.get("retry-after", "")
        return float(value) if value.isdigit() else default


class Browser:
    """A very small HTTP/1.1 client, one connection per request, that keeps cookies.

    httpx costs about a millisecond of CPU per request; a crowd of thousands on one core needs
    less, or the generator, not the site, decides when people arrive.
    """

    def __init__(self, port: int, address: str, cookies: dict[str, str]) -> None:
        self.port, self.address, self.cookies = port, address, dict(cookies)

    async def request(
        self,
        method: str,
        path: str,
        *,
        accept: str = "text/html",
        form: dict[str, str] | None = None,
    ) -> Answer:
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: {accept}\r\n"
            f"Accept-Language: en\r\nCookie: {cookie}\r\nConnection: close\r\n"
        )
        if form is not None:
            head += (
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n"
            )
        reader, writer = await asyncio.open_connection(
            HOST, self.port, local_addr=(self.address, 0)
        )
        try:
            writer.write(head.encode("latin-1") + b"\r\n" + body)
            await writer.drain()
            raw = await reader.read(-1)  # the server closes after the answer
        finally:
            writer.close()
        header_block, _, content = raw.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        if not lines or len(lines[0].split(" ")) < 2:
            raise ConnectionError("no HTTP answer")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie_value = pair.partition("=")
                self.cookies[key.strip()] = cookie_value.strip()
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = _unchunk(content)
        return Answer(int(lines[0].split(" ")[1]), headers, content)


def _unchunk(data: bytes) -> bytes:
    out, position = bytearray(), 0
    while True:
        end = data.find(b"\r\n", position)
        size = int(data[position:end].split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        position = end + 2 + size + 2


async def ask(
    browser: Browser, sponsor: Sponsor, kind: str, method: str, path: str, **options: Any
) -> Answer | None:
    """One request; a refused or dropped connection is noted and counts as no answer."""
    try:
        answer = await asyncio.wait_for(browser.request(method, path, **options), 30)
    except (TimeoutError, OSError, ConnectionError, ValueError) as exc:
        sponsor.statuses.append((kind, 0))
        sponsor.errors.append(type(exc).__name__)
        return None
    sponsor.statuses.append((kind, answer.status))
    return answer


async def journey(
    sponsor: Sponsor, port: int, intake_id: int, deadline: float, jitter: random.Random
) -> None:
    browser = Browser(port, sponsor.address, {"nb_session": sponsor.token})
    path = FORM_PATH.format(id=intake_id)
    await asyncio.sleep(max(0.0, sponsor.arrive_at - time.time()))
    sponsor.arrived = time.time()
    html = ""
    while time.time() < deadline:  # follow the waiting room to the form
        answer = await ask(browser, sponsor, "form page", "GET", path, accept="application/json")
        if answer is not None and answer.status == 200:
            sponsor.got_in, html = time.time(), answer.text
            sponsor.place = claimed_position(browser.cookies.get(PASS_COOKIE, "")) or sponsor.place
            break
        if (
            answer is not None
            and answer.status == 429
            and "json" in answer.headers.get("content-type", "")
        ):
            position = json.loads(answer.body).get("position")
            if position is not None:
                sponsor.place = int(position)
        # people refresh a little off the beat
        wait = answer.retry_after() if answer is not None else 2.0
        await asyncio.sleep(wait + jitter.uniform(0, 0.3))
    if not html:
        return
    data = {**answers(sponsor.index), **dict(TOKEN.findall(html))}
    while time.time() < deadline:  # send; after a 503, 429 or lost answer, again (same key)
        answer = await ask(browser, sponsor, "form post", "POST", path, form=data)
        if answer is not None and answer.status == 303:
            # acknowledged: the server committed before answering; the number is on the page
            # the browser is sent to (reloaded if that page is shed)
            sponsor.acknowledged = "unread"
            location = answer.headers["location"]
            while time.time() < deadline + 20:
                page = await ask(browser, sponsor, "confirmation page", "GET", location)
                found = CONFIRMATION.search(page.text) if page is not None else None
                if found:
                    sponsor.acknowledged = found.group(1)
                    return
                await asyncio.sleep((page.retry_after() if page else 2.0) + jitter.uniform(0, 0.3))
            return
        if answer is not None and answer.status not in (429, 503):
            return
        wait = answer.retry_after() if answer is not None else 2.0
        await asyncio.sleep(wait + jitter.uniform(0, 0.3))


async def watch_room(
    base: str, admin_token: str, opening: float, samples: list[dict[str, Any]]
) -> None:
    """The room's own figures every 2 s (admin API), to show the line filling and draining."""
    headers = {"authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=5.0) as client:
        while True:
            try:
                status = (await client.get("/api/v1/admin/room/")).json()
                samples.append(
                    {
                        "t": round(time.time() - opening, 1),
                        "on": status["on"],
                        "preQueue": status["preQueue"],
                        "serving": status["serving"],
                        "lastPosition": status["lastPosition"],
                        "waiting": status["waiting"],
                        "admittedPerMinute": status["admittedPerMinute"],
                    }
                )
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            await asyncio.sleep(2.0)


async def crowd(
    sponsors: list[Sponsor],
    port: int,
    intake_id: int,
    deadline: float,
    opening: float,
    samples: list[dict[str, Any]],
    admin_token: str,
) -> None:
    jitter = random.Random(7)
    base = f"http://{HOST}:{port}"
    watcher = asyncio.create_task(watch_room(base, admin_token, opening, samples))
    tasks = [asyncio.create_task(journey(s, port, intake_id, deadline, jitter)) for s in sponsors]
    done, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.time() + 25))
    for task in [*pending, watcher]:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            print(f"  a sponsor's client failed: {task.exception()!r}", file=sys.stderr)


# -- what happened ---------------------------------------------------------------------------


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Rank correlation (no ties expected: arrival times and places are distinct)."""
    n = len(xs)
    if n < 3:
        return None
    rank_x = {i: r for r, i in enumerate(sorted(range(n), key=lambda i: xs[i]))}
    rank_y = {i: r for r, i in enumerate(sorted(range(n), key=lambda i: ys[i]))}
    d2 = sum((rank_x[i] - rank_y[i]) ** 2 for i in range(n))
    return 1 - 6 * d2 / (n * (n * n - 1))


def out_of_order(xs: list[float], ys: list[float], samples: int = 200_000) -> float | None:
    """Share of pairs (sampled) whose order of getting in differs from their order of arrival."""
    n = len(xs)
    if n < 2:
        return None
    rng = random.Random(1)
    inverted = 0
    for _ in range(samples):
        i, j = rng.randrange(n), rng.randrange(n)
        while j == i:
            j = rng.randrange(n)
        if (xs[i] - xs[j]) * (ys[i] - ys[j]) < 0:
            inverted += 1
    return inverted / samples


def order_report(group: list[Sponsor]) -> dict[str, Any]:
    placed = [s for s in group if s.place is not None and s.arrived is not None]
    arrived = [float(s.arrived or 0) for s in placed]
    places = [float(s.place or 0) for s in placed]
    rho, inverted = spearman(arrived, places), out_of_order(arrived, places)
    return {
        "sponsors": len(group),
        "withPlace": len(placed),
        "gotIn": sum(1 for s in group if s.got_in is not None),
        "spearmanArrivalVsPlace": None if rho is None else round(rho, 3),
        "pairsOutOfOrder": None if inverted is None else round(inverted, 3),
    }

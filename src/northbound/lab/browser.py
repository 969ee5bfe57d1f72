"""One virtual person's browser: cookies, a source address, and how people react to a busy
site.

A person asks for a page; what happens next depends on the answer, as with a real browser
and a real person:

- **the waiting page** (HTML with a meta refresh, or the JSON twin: 429 with
  ``inWaitingRoom``): note the place and estimated wait shown first, wait the refresh
  interval (``content`` of the meta refresh, or ``refreshSeconds``) and ask again, until the
  page itself comes back (admitted) or patience runs out;
- **429 / 503 with Retry-After**: wait that long and try again; without the header (a bare
  proxy error) wait ``error_pause`` seconds, as a person reloading an error page does;
- **slow pages**: a share of people (``reloaders``) reload a page that has not come after
  ``reload_after`` seconds; the others wait up to ``timeout``;
- **patience**: every second spent waiting (room, refusals, errors, slow pages) comes out of
  the person's patience; when it is gone they give up (:class:`GaveUp`).

Every attempt is recorded with its *intended* send time (see :mod:`.recorder`).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from multidict import CIMultiDict

from .recorder import Outcome, Recorder

_REFRESH = re.compile(rb'<meta http-equiv="refresh" content="(\d+)')
_PLACE = re.compile(rb'class="place">[^<]*<strong>([^<]+)</strong>')
_ETA = re.compile(rb"<strong>(?:about |environ )([^<]+)</strong>")
_RANGE = re.compile(rb"</strong> \((?:between|entre) ([^)]+)\)")
# one duration as the page words it, whole: "45 seconds", "2 minutes et 30 secondes", "1 h 05"
_DURATION = re.compile(
    r"\d+ seconde?s?|\d+ minutes?(?: (?:and|et) \d+ seconde?s?)?|\d+ h \d+(?: min)?"
)
_AND = re.compile(r" (?:and|et) ")
_MINUTES = re.compile(r"(\d+)\s+minutes?")
_SECONDS = re.compile(r"(\d+)\s+seconde?s?")
_HOURS = re.compile(r"(\d+)\s+h\s+(\d+)")


class GaveUp(Exception):
    """The person ran out of patience."""


@dataclass(frozen=True, slots=True)
class WaitingInfo:
    """What the waiting page told the person."""

    position: int | None
    estimate_seconds: float | None
    refresh_seconds: float
    # the range shown around the estimate (the estimate twice when the page showed one figure);
    # None with no estimate, or a range the lab could not read
    range_seconds: tuple[float, float] | None = None


def _digits(raw: bytes) -> int | None:
    text = "".join(ch for ch in raw.decode("utf-8", "replace") if ch.isdigit())
    return int(text) if text else None


def estimate_from_text(text: str) -> float | None:
    """Seconds of an estimate as the page words it ("about 3 minutes", "2 minutes and 30
    seconds", "45 seconds", "1 h 05 min"); None when it names no duration."""
    hours = _HOURS.search(text)
    if hours:
        return int(hours.group(1)) * 3600 + int(hours.group(2)) * 60.0
    minutes = _MINUTES.search(text)
    seconds = _SECONDS.search(text)
    if minutes is None and seconds is None:
        return None
    total = int(minutes.group(1)) * 60.0 if minutes else 0.0
    return total + (int(seconds.group(1)) if seconds else 0)


def range_from_text(text: str) -> tuple[float, float] | None:
    """Seconds of the range the page words as "X and Y" ("2 minutes and 30 seconds and 3
    minutes": the "and" that splits it into two whole durations), or None."""
    for split in _AND.finditer(text):
        low, high = text[: split.start()], text[split.end() :]
        if _DURATION.fullmatch(low) and _DURATION.fullmatch(high):
            low_seconds, high_seconds = estimate_from_text(low), estimate_from_text(high)
            if low_seconds is not None and high_seconds is not None:
                return low_seconds, high_seconds
    return None


def waiting_info(status: int, content_type: str, body: bytes) -> WaitingInfo | None:
    """The waiting page's figures, or None when this answer is not the waiting page."""
    if "json" in content_type:
        if status not in (200, 429) or b"inWaitingRoom" not in body:
            return None
        try:
            document: dict[str, Any] = json.loads(body)
        except ValueError:
            return None
        if not document.get("inWaitingRoom"):
            return None
        estimate = document.get("estimatedWaitSeconds")
        bounds = document.get("estimatedWaitRangeSeconds")
        return WaitingInfo(
            position=document.get("position"),
            estimate_seconds=float(estimate) if estimate is not None else None,
            refresh_seconds=float(document.get("refreshSeconds") or 5),
            range_seconds=(float(bounds[0]), float(bounds[1])) if bounds else None,
        )
    # the page in line shows a place; the pre-queue page (before an opening) does not
    if status != 200 or (
        b'class="place"' not in body
        and b"<title>The line opens soon" not in body
        and b"<title>La file ouvre bient" not in body
    ):
        return None
    refresh = _REFRESH.search(body)
    place = _PLACE.search(body)
    eta = _ETA.search(body)
    estimate = estimate_from_text(eta.group(1).decode()) if eta else None
    bounds = _RANGE.search(body)
    # no range worded: the page showed one figure, which is then the range
    one_figure = (estimate, estimate) if estimate is not None else None
    return WaitingInfo(
        position=_digits(place.group(1)) if place else None,
        estimate_seconds=estimate,
        refresh_seconds=float(refresh.group(1)) if refresh else 5.0,
        range_seconds=range_from_text(bounds.group(1).decode()) if bounds else one_figure,
    )


@dataclass
class RoomVisit:
    """One person's time in the waiting room, as they saw it (run seconds)."""

    first_seen: float
    position: int | None
    estimate_seconds: float | None  # the first wait they were shown
    last_seen: float
    estimate_shown_at: float | None = None  # when (first_seen when None)
    # the range shown with that first estimate (the page leaves it out when it is one figure)
    estimate_low_seconds: float | None = None
    estimate_high_seconds: float | None = None
    admitted_at: float | None = None
    shed_on_admission: bool = False
    gave_up: bool = False


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How people behave; the defaults are a patient but ordinary crowd."""

    think_seconds: tuple[float, float] = (1.0, 4.0)  # reading a page, uniform
    patience_median: float = 120.0  # seconds of waiting a person puts up with (log-normal)
    patience_sigma: float = 0.6
    reloaders: float = 0.3  # share of people who reload a slow page
    reload_after: float = 8.0
    timeout: float = 30.0  # the browser's own limit for one request
    error_pause: float = 5.0  # before reloading an error page without Retry-After
    max_refresh: float = 30.0  # a refresh hint longer than this is capped (a sane browser)


@dataclass
class Page:
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class Transport(Protocol):
    """Sends one request; returns the page, ``"slow"`` when ``limit`` seconds passed first,
    or the kind of transport error (``refused``, ``connect``, ``reset``, ``other``)."""

    async def send(self, method: str, url: str, limit: float, **kwargs: Any) -> Page | str: ...


@dataclass(frozen=True, slots=True)
class AiohttpTransport:
    """The crowd's transport: one aiohttp session per person (their cookies, their address)."""

    session: aiohttp.ClientSession

    async def send(self, method: str, url: str, limit: float, **kwargs: Any) -> Page | str:
        try:
            async with asyncio.timeout(limit):
                try:
                    return await self._request(method, url, **kwargs)
                except aiohttp.ServerDisconnectedError:
                    # The server closed a kept-alive connection as it was reused (its idle
                    # timeout, often about the waiting page's refresh): browsers send again
                    # on a new connection without telling anyone, so does the person.
                    return await self._request(method, url, **kwargs)
        except TimeoutError:
            return "slow"
        except aiohttp.ClientConnectorError as exc:
            return "refused" if isinstance(exc.os_error, ConnectionRefusedError) else "connect"
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError):
            return "reset"
        except aiohttp.ClientError:
            return "other"

    async def _request(self, method: str, url: str, **kwargs: Any) -> Page:
        async with self.session.request(method, url, allow_redirects=False, **kwargs) as answer:
            body = await answer.read()
            return Page(answer.status, body, CIMultiDict(answer.headers), url)


@dataclass
class Browser:
    """A person's browser. ``clock`` gives run seconds; ``sleep`` waits run seconds."""

    base_url: str
    recorder: Recorder
    clock: Callable[[], float]
    transport: Transport
    behaviour: Behaviour
    patience: float
    reloads_slow_pages: bool
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rooms: list[RoomVisit] = field(default_factory=list)
    requests: int = 0
    # the intended send time of the next request (arrival, end of reading); None: now
    due: float | None = None
    max_requests: int = 500

    def _spend(self, seconds: float) -> None:
        self.patience -= seconds
        if self.patience <= 0:
            raise GaveUp

    async def _wait(self, seconds: float) -> float:
        """Wait ``seconds`` (out of patience); returns when the next attempt is due."""
        seconds = max(0.0, min(seconds, self.behaviour.max_refresh))
        if seconds > self.patience:
            await self.sleep(max(0.0, self.patience))
            self._spend(seconds)
        due = self.clock() + seconds
        await self.sleep(seconds)
        self._spend(seconds)
        return due

    async def think(self, seconds: float) -> None:
        """Read the page: time passes but patience does not run out doing what one came for.
        The next request is due when the reading ends, however late the generator wakes."""
        self.due = self.clock() + seconds
        await self.sleep(seconds)

    def _intended(self) -> float:
        """When the person means to send the request now being made (and forget it)."""
        due, self.due = self.due, None
        return self.clock() if due is None else due

    async def _once(self, method: str, path: str, intended: float, **kwargs: Any) -> Page | str:
        """One attempt: the page, or the kind of transport error."""
        if self.requests >= self.max_requests:
            raise GaveUp  # a bound on every person, whatever the site answers
        self.requests += 1
        self.recorder.intend(intended)
        self.recorder.sent(intended, self.clock())
        limit = self.behaviour.reload_after if self.reloads_slow_pages else self.behaviour.timeout
        answer = await self.transport.send(method, self.base_url + path, limit, **kwargs)
        if isinstance(answer, str):
            if answer == "slow":
                self.recorder.failed("reload" if self.reloads_slow_pages else "timeout")
            else:
                self.recorder.failed(answer)
                answer = "error"
        else:
            answer.url = path
        return answer

    async def request(self, method: str, path: str, **kwargs: Any) -> Page:
        """The page at ``path`` once the site serves it, whatever it takes (within patience).

        The waiting page reloads its address with GET; a person who was sent there from a
        form waits the same way and, once let in, sends the form again. A JSON client polls
        with the request itself, as the JSON twin asks.
        """
        intended = self._intended()
        visit: RoomVisit | None = None
        asking, asking_with = method, kwargs
        while True:
            answer = await self._once(asking, path, intended, **asking_with)
            now = self.clock()
            if isinstance(answer, str):
                if answer == "slow":
                    self._spend(now - intended)  # they waited that long, then reloaded
                    intended = self.clock()
                else:
                    intended = await self._wait(self.behaviour.error_pause)
                continue
            info = waiting_info(answer.status, answer.headers.get("Content-Type", ""), answer.body)
            if info is not None:
                self.recorder.answered(intended, now, answer.status, "waiting")
                if visit is None:
                    visit = RoomVisit(now, info.position, None, now)  # the estimate: below
                    self.rooms.append(visit)
                visit.last_seen = now
                if visit.position is None and info.position is not None:
                    # a pre-queue place is drawn at the opening: the first one shown counts
                    visit.position = info.position
                if visit.estimate_seconds is None and info.estimate_seconds is not None:
                    # a line's first seconds show no wait: the first one shown counts, from then
                    visit.estimate_seconds, visit.estimate_shown_at = info.estimate_seconds, now
                    low, high = info.range_seconds or (None, None)
                    visit.estimate_low_seconds, visit.estimate_high_seconds = low, high
                try:
                    intended = await self._wait(info.refresh_seconds)
                except GaveUp:
                    visit.gave_up = True
                    raise
                if asking != "GET" and "json" not in answer.headers.get("Content-Type", ""):
                    # the page reloads its address: no form body (JSON clients poll with it)
                    asking, asking_with = "GET", {}
                continue
            outcome = classify(answer.status)
            self.recorder.answered(intended, now, answer.status, outcome, pre_rendered(answer))
            if visit is not None and visit.admitted_at is None:
                visit.admitted_at = now
                visit.shed_on_admission = answer.status == 503
            if outcome == "refused" or answer.status >= 500:
                retry = _retry_after(answer.headers)
                intended = await self._wait(self.behaviour.error_pause if retry is None else retry)
                continue
            if asking != method:
                asking, asking_with = method, kwargs  # let in: now the form itself
                intended = self.clock()
                continue
            return answer

    async def get(self, path: str, **kwargs: Any) -> Page:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Page:
        return await self.request("POST", path, **kwargs)

    async def follow(self, page: Page) -> Page:
        """Follow a redirect (303 after a form, 307/308) as a browser does, with GET."""
        hops = 0
        while page.status in (301, 302, 303, 307, 308) and hops < 5:
            location = page.headers.get("Location", "/")
            if location.startswith(self.base_url):
                location = location[len(self.base_url) :]
            page = await self.get(location)
            hops += 1
        return page


def classify(status: int) -> Outcome:
    """What an answer that is not the waiting page means to the person."""
    if status in (429, 503):
        return "refused"
    if 200 <= status < 400:
        return "useful"
    return "failed"


def pre_rendered(page: Page) -> bool:
    """Whether the site answered from its pre-rendered pages and assets: those alone carry an
    ETag (``web/cached_response.py``); every page worked out per request is sent without."""
    return "ETag" in page.headers


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None

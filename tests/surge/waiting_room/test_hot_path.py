"""The gate's memory of verified Cookie headers: bounded, exact, and never past a refusal.

A poll answered from that memory must be refused the moment a full verification would refuse
it: expired, revoked, key retired, another visitor's id, an edited header.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import Message

from northbound.surge.waiting_room import (
    Claims,
    KeyRing,
    Kind,
    PassSigner,
    WaitingRoom,
    WaitingRoomMiddleware,
)
from northbound.surge.waiting_room import middleware as gate_module
from northbound.surge.waiting_room.memory_store import InProcessStore
from northbound.surge.waiting_room.metrics import room_metrics
from northbound.surge.waiting_room.tokens import visitor_hash
from tests.support.clock import FakeClock
from tests.support.waiting_room import make_room, switch_on

VISITOR = "hot_path_visitor_00001"


class RecordingApp:
    def __init__(self) -> None:
        self.served = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.served += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"served"})


async def _get(gate: WaitingRoomMiddleware, cookie: str, path: str = "/apply") -> bytes:
    scope = {
        "type": "http", "method": "GET", "scheme": "http", "http_version": "1.1",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"site"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    body: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            body.append(message["body"])

    await gate(scope, receive, send)
    return b"".join(body)


def _claims(room: WaitingRoom, kind: Kind, position: int, visitor: str = VISITOR) -> Claims:
    now = int(room.clock())
    return Claims(
        kind=kind, room="main", position=position, issued_at=now, expires_at=now + 600,
        joined_at=now - 60, admitted_at=now if kind is Kind.PASS else 0, estimate_seconds=60,
        prequeue_index=0, visitor_hash=visitor_hash(visitor),
    )  # fmt: skip


async def _site() -> tuple[WaitingRoom, FakeClock, WaitingRoomMiddleware, RecordingApp]:
    clock = FakeClock()
    room = make_room(InProcessStore(), clock, metrics=room_metrics("test"))
    await switch_on(room, paused=True)
    app = RecordingApp()
    return room, clock, WaitingRoomMiddleware(app, room=room, cookie_prefix="nb_"), app


def _failures(reason: str) -> float:
    value = room_metrics("test").pass_failures.labels("main", reason)._value.get()
    return float(value)


async def test_a_remembered_pass_is_refused_once_revoked() -> None:
    room, _, gate, app = await _site()
    cookie = f"nb_vid={VISITOR}; nb_room_main={room.signer.sign(_claims(room, Kind.PASS, 7))}"
    assert await _get(gate, cookie) == b"served"
    assert await _get(gate, cookie) == b"served"
    assert cookie in gate._verified  # the second one came from memory
    before = _failures("revoked")
    await room.revoke(7)
    assert (await _get(gate, cookie)).startswith(b"<!doctype html>")
    assert app.served == 2
    assert _failures("revoked") == before + 1  # counted like any other refusal


async def test_a_remembered_pass_is_refused_once_expired() -> None:
    room, clock, gate, app = await _site()
    cookie = f"nb_vid={VISITOR}; nb_room_main={room.signer.sign(_claims(room, Kind.PASS, 7))}"
    assert await _get(gate, cookie) == b"served"
    clock.advance(599)
    assert await _get(gate, cookie) == b"served"
    clock.advance(1)
    before = _failures("expired")
    assert (await _get(gate, cookie)).startswith(b"<!doctype html>")
    assert app.served == 2 and _failures("expired") == before + 1


async def test_a_remembered_pass_is_refused_after_its_key_is_retired() -> None:
    room, _, gate, app = await _site()
    cookie = f"nb_vid={VISITOR}; nb_room_main={room.signer.sign(_claims(room, Kind.PASS, 7))}"
    assert await _get(gate, cookie) == b"served"
    room.signer = PassSigner("main", KeyRing([("k9", b"a-new-key-alone-on-the-ring-0")]))
    assert (await _get(gate, cookie)).startswith(b"<!doctype html>")
    assert app.served == 1


async def test_only_the_exact_header_is_remembered() -> None:
    room, _, gate, app = await _site()
    token = room.signer.sign(_claims(room, Kind.PASS, 7))
    assert await _get(gate, f"nb_vid={VISITOR}; nb_room_main={token}") == b"served"
    other = "someone_else_000000001"
    for cookie in (
        f"nb_vid={other}; nb_room_main={token}",  # copied to another browser
        f"nb_room_main={token}; nb_vid={other}",
        f"nb_vid={VISITOR}; nb_room_main={token[:-3]}AA=",  # edited signature
        f"nb_vid={VISITOR}; nb_room_main={token.replace('.', '..', 1)}",
    ):
        assert (await _get(gate, cookie)).startswith(b"<!doctype html>"), cookie
    assert app.served == 1


async def test_refused_tokens_are_never_remembered() -> None:
    room, _, gate, _ = await _site()
    good = room.signer.sign(_claims(room, Kind.TICKET, 10**6))
    for index in range(50):
        forged = good[:-44] + f"{index:043d}="
        await _get(gate, f"nb_vid={VISITOR}; nb_room_main={forged}")
    assert gate._verified == {}


async def test_the_memory_is_bounded_oldest_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate_module, "_CACHED_HEADERS", 8)
    room, _, gate, _ = await _site()
    cookies = []
    for index in range(20):
        visitor = f"bounded_visitor_{index:06d}"
        ticket = room.signer.sign(_claims(room, Kind.TICKET, 10**6 + index, visitor))
        cookies.append(f"nb_vid={visitor}; nb_room_main={ticket}")
        page = await _get(gate, cookies[-1])
        assert f"{10**6 + index:,}".encode() in page  # the place the ticket names
        assert len(gate._verified) <= 8
    assert list(gate._verified) == cookies[-8:]


async def test_long_cookie_headers_are_verified_every_time() -> None:
    room, _, gate, app = await _site()
    token = room.signer.sign(_claims(room, Kind.PASS, 7))
    cookie = f"nb_vid={VISITOR}; nb_room_main={token}; tracking={'x' * 2000}"
    assert await _get(gate, cookie) == b"served"
    assert await _get(gate, cookie) == b"served"
    assert gate._verified == {} and app.served == 2

"""Bad passes and odd path spellings: none may get a request through the gate."""

from __future__ import annotations

import base64
import random
import struct
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northbound.surge.waiting_room import (
    Claims,
    Controls,
    KeyRing,
    Kind,
    PassSigner,
    WaitingRoom,
    WaitingRoomMiddleware,
)
from northbound.surge.waiting_room.memory_store import InProcessStore
from northbound.surge.waiting_room.paths import PathPolicy, normalise
from northbound.surge.waiting_room.tokens import claimed_position, visitor_hash
from tests.support.clock import FakeClock
from tests.support.waiting_room import KEYS, make_room, switch_on

VISITOR = "visitor_a_0123456789ab"


class RecordingApp:
    """The protected application: counts every request that reaches it."""

    def __init__(self) -> None:
        self.served: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.served.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"served"})


def _pass(
    room: WaitingRoom, *, position: int = 5, visitor: str = VISITOR, **changes: Any
) -> Claims:
    now = int(room.clock())
    claims = Claims(
        kind=Kind.PASS, room="main", position=position, issued_at=now, expires_at=now + 600,
        joined_at=now - 60, admitted_at=now, estimate_seconds=60, prequeue_index=0,
        visitor_hash=visitor_hash(visitor),
    )  # fmt: skip
    return claims._replace(**changes)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def bad_passes(room: WaitingRoom) -> list[tuple[str, str, str]]:
    """(category, visitor id, token) for more than 1,000 passes that must all be refused."""
    rng = random.Random(2024)
    signer = room.signer
    good = signer.sign(_pass(room))
    kid, payload, mac = good.split(".")
    record = _unb64(payload)
    cases: list[tuple[str, str, str]] = []
    for _ in range(150):
        cases.append(("forged", VISITOR, f"{kid}.{payload}.{_b64(rng.randbytes(32))}"))
    for index in range(200):
        edited = bytearray(record)
        edited[index % len(record)] ^= 1 << rng.randrange(8)
        cases.append(("edited", VISITOR, f"{kid}.{_b64(bytes(edited))}.{mac}"))
    for index in range(100):
        expired = _pass(room, expires_at=int(room.clock()) - 1 - index * 37)
        cases.append(("expired", VISITOR, signer.sign(expired)))
    other_room = PassSigner("other", KEYS)
    for index in range(100):
        cases.append(("wrong_room", VISITOR, other_room.sign(_pass(room, position=index + 1))))
    for index in range(100):
        cases.append(("other_visitor", f"someone_else_{index:09d}", good))
    for position in range(1000, 1100):
        cases.append(("revoked", VISITOR, signer.sign(_pass(room, position=position))))
    retired = PassSigner("main", KeyRing([("k0", b"retired-key-no-longer-listed-0")]))
    impostor = PassSigner("main", KeyRing([("k2", b"guessed-secret-for-current-kid")]))
    for index in range(50):
        cases.append(("retired_key", VISITOR, retired.sign(_pass(room, position=index + 1))))
        cases.append(("wrong_secret", VISITOR, impostor.sign(_pass(room, position=index + 1))))
    alphabet = 'abcXYZ019-_.=+/%;, "\\'
    for _ in range(150):
        garbage = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
        cases.append(("garbage", VISITOR, garbage))
    for length in range(257, 257 + 50 * 97, 97):
        cases.append(("oversized", VISITOR, (good * 40)[:length]))
    unsigned = struct.pack(">B", 2) + record[1:]
    for _ in range(25):
        cases.append(("unsigned", VISITOR, f"{kid}.{_b64(unsigned)}."))
        cases.append(("no_kid", VISITOR, f".{payload}.{mac}"))
    for variant in (payload.rstrip("=") + "=", payload + "\n", payload.replace("+", "-")):
        if variant != payload:
            cases.append(("respelled", VISITOR, f"{kid}.{variant}.{mac}"))
    return cases


async def _room() -> tuple[WaitingRoom, FakeClock]:
    clock = FakeClock()
    room = make_room(InProcessStore(), clock)
    await switch_on(room, paused=True)
    for position in range(1000, 1100):
        await room.store.revoke(position)
    await room.tick()
    return room, clock


async def test_over_a_thousand_bad_passes_are_all_refused() -> None:
    room, _ = await _room()
    cases = bad_passes(room)
    assert len(cases) >= 1000
    accepted = [
        (category, token)
        for category, visitor, token in cases
        if (claims := room.check_pass(token, visitor)) is not None and claims.kind is Kind.PASS
    ]
    assert accepted == []
    assert room.check_pass(room.signer.sign(_pass(room)), VISITOR) is not None  # control


async def test_bad_passes_never_get_through_the_gate() -> None:
    room, _ = await _room()
    app = RecordingApp()
    gate = WaitingRoomMiddleware(app, room=room, exempt_prefixes=["/static/"], cookie_prefix="nb_")
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        for category, visitor, token in bad_passes(room):
            response = await client.get(
                "/apply", headers={"cookie": f"nb_vid={visitor}; nb_room_main={token}"}
            )
            assert response.status_code == 200 and b"<h1>" in response.content, category
        good = room.signer.sign(_pass(room))
        response = await client.get(
            "/apply", headers={"cookie": f"nb_vid={VISITOR}; nb_room_main={good}"}
        )
        assert response.content == b"served"
    assert app.served == ["/apply"]  # only the genuine pass


async def test_a_ticket_is_not_a_pass() -> None:
    room, _ = await _room()
    ticket = room.signer.sign(_pass(room, kind=Kind.TICKET, position=10**6))
    claims = room.check_pass(ticket, VISITOR)
    assert claims is not None and claims.kind is Kind.TICKET
    outcome = await room.visit(claims, VISITOR)
    assert not hasattr(outcome, "claims")  # still waiting


async def test_a_pass_tells_a_tool_its_place_without_being_verified() -> None:
    """What a benchmark reads of its own people's passes: the place of a pass (quoted as
    cookies may be), nothing for a ticket or for anything malformed."""
    room, _ = await _room()
    genuine = room.signer.sign(_pass(room, position=42))
    assert claimed_position(genuine) == claimed_position(f'"{genuine}"') == 42
    assert claimed_position(room.signer.sign(_pass(room, kind=Kind.TICKET, position=7))) is None
    assert claimed_position("") is None and claimed_position("a.b.c") is None


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_arbitrary_text_is_never_a_pass(token: str) -> None:
    signer = PassSigner("main", KEYS)
    try:
        signer.verify(token, visitor_id=VISITOR, now=1_800_000_000)
    except Exception as error:
        assert type(error).__name__ == "PassRefused"
    else:
        pytest.fail("accepted arbitrary text")


PROTECTED = ["/apply", "/account/status", "/api/v1/applications", "/lottery/enter"]


def odd_spellings(path: str) -> list[str]:
    tail = path.lstrip("/")
    first, _, rest = tail.partition("/")
    return [
        path, path.upper(), path + "/", "/" + tail.title(), "//" + tail, path.replace("/", "//"),
        "/./" + tail, "/static/../" + tail, "/static/%2e%2e/" + tail, "/STATIC/..%2F" + tail,
        "/static%2F..%2F" + tail, "/static%2f..%2f" + tail, "/static/%252e%252e/" + tail,
        "/healthz/../" + tail, "/static/x/../../" + tail, "/static;x=1/../" + tail,
        "/static\\..\\" + tail, "/" + "%" + f"{ord(first[0]):02X}" + tail[1:],
        "/metrics/..;/" + tail, "/waiting-room/../" + tail, path + "?x=/static/",
        path + "%2F", path + "/.", "/" + first + "/./" + rest if rest else path + "/./",
    ]  # fmt: skip


async def _asgi_get(app: Callable[..., Awaitable[None]], raw: str) -> int:
    raw_path, _, query = raw.partition("?")
    scope = {
        "type": "http", "method": "GET", "scheme": "http", "http_version": "1.1",
        "path": unquote(raw_path), "raw_path": raw_path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"site")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def test_odd_spellings_of_protected_paths_are_never_served() -> None:
    room, _ = await _room()
    app = RecordingApp()
    exempt = ["/static/", "/healthz", "/readyz", "/metrics", "/en/", "/fr/"]
    gate = WaitingRoomMiddleware(app, room=room, exempt_prefixes=exempt, cookie_prefix="nb_")
    spellings = [s for path in PROTECTED for s in odd_spellings(path)]
    assert len(spellings) >= 80
    for spelling in spellings:
        status = await _asgi_get(gate, spelling)
        assert status in (200, 429), spelling
    assert app.served == []
    for path in ["/static/site.css", "/healthz", "/metrics", "/en/express-entry"]:
        await _asgi_get(gate, path)
    assert len(app.served) == 4  # exempt paths still flow


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/Apply/", "/apply"), ("//a//b/", "/a/b"), ("/static/../apply", "/apply"),
        ("/static%2F..%2Fapply", "/apply"), ("/%2e%2e/%2e%2e/apply", "/apply"),
        ("/a/%252e%252e/b", "/b"), ("/a;v=1/b", "/a/b"), ("/a\\b", "/a/b"), ("", "/"),
    ],
)  # fmt: skip
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_prefixes_match_at_segment_boundaries() -> None:
    policy = PathPolicy(["/"], ["/static/", "/healthz"])
    assert not policy.needs_pass("/static/app.css")
    assert policy.needs_pass("/staticky")
    assert policy.needs_pass("/healthz-but-not")
    assert not policy.needs_pass("/healthz")
    assert policy.needs_pass("/static/x", b"/static/..%2Fapply")
    only_api = PathPolicy(["/api/"], [])
    assert not only_api.needs_pass("/en/")
    assert only_api.needs_pass("/API//v1")


async def test_revoked_pass_is_refused_at_the_gate() -> None:
    room, _ = await _room()
    app = RecordingApp()
    gate = WaitingRoomMiddleware(app, room=room, cookie_prefix="nb_")
    token = room.signer.sign(_pass(room, position=7))
    cookie = {"cookie": f"nb_vid={VISITOR}; nb_room_main={token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gate), base_url="http://site"
    ) as client:
        assert (await client.get("/apply", headers=cookie)).content == b"served"
        await room.store.update_controls(Controls())
        await room.revoke(7)
        assert (await client.get("/apply", headers=cookie)).content != b"served"
    assert app.served == ["/apply"]

"""Signed waiting tickets and passes.

One compact format for both: ``<kid>.<payload>.<mac>`` where payload is a fixed binary record
and mac is HMAC-SHA256 over ``kid.payload`` with the key named by kid, both in standard base64
(every character of it is allowed in a cookie value; decoding is strict, so no token has two
spellings). Everything
the room needs to know about one visitor travels inside it, so the server keeps no per-visitor
record: the position, when they joined, the estimate they were shown and the hash of their
cookie id. Several keys verify at once (rotation); a key taken off the list is retired.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import struct
from binascii import a2b_base64, b2a_base64
from collections.abc import Iterable
from enum import IntEnum
from typing import NamedTuple

# kind, room hash, position, issued, expires, joined, admitted, estimate, pre-queue index, vid.
_RECORD = struct.Struct(">B8sQIIIIiI16s")
MAX_TOKEN_LENGTH = 256
ISSUED_SLACK_SECONDS = 300  # clock skew between instances tolerated on issue times
_MAC_TEXT_LENGTH = 44  # 32 bytes of HMAC-SHA256 in padded base64


class Kind(IntEnum):
    TICKET = 1  # a place in line, not yet admitted
    PASS = 2  # admitted


_KINDS = {int(kind): kind for kind in Kind}


class PassRefused(Exception):
    """A token failed verification; ``reason`` is a short metric label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Claims(NamedTuple):
    """What a ticket or pass says (a tuple: built on every request, so it must be cheap)."""

    kind: Kind
    room: str
    position: int
    issued_at: int
    expires_at: int
    joined_at: int
    admitted_at: int  # pass: when admitted; pre-queue ticket: the scheduled opening it joined
    estimate_seconds: int  # -1 when no estimate was shown
    prequeue_index: int  # 0 unless an early arrival before a scheduled opening (index + 1)
    visitor_hash: bytes


def time_refusal(issued_at: float, expires_at: float, now: float) -> str:
    """Why a token is not current at ``now`` ('' when it is): the part of a verification that
    can change after the fact, so remembered verifications check it again."""
    if now >= expires_at:
        return "expired"
    if issued_at > now + ISSUED_SLACK_SECONDS:
        return "issued_in_future"
    return ""


def room_hash(room: str) -> bytes:
    return hashlib.sha256(b"northbound-room:" + room.encode()).digest()[:8]


_VISITOR_HASH = hashlib.sha256(b"northbound-visitor:")


def visitor_hash(visitor_id: str) -> bytes:
    digest = _VISITOR_HASH.copy()  # the prefix is hashed once, at import
    digest.update(visitor_id.encode())
    return digest.digest()[:16]


def _b64(data: bytes) -> str:
    return b2a_base64(data, newline=False).decode()


class _Hmac:
    """HMAC-SHA256 with the key's inner and outer states computed once (3x faster per call)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(self, message: bytes) -> bytes:
        inner, outer = self.copies()
        inner.update(message)
        outer.update(inner.digest())
        return outer.digest()

    def copies(self) -> tuple[hashlib._Hash, hashlib._Hash]:
        """Fresh inner and outer states, for callers that inline :meth:`digest`."""
        return self._inner.copy(), self._outer.copy()


class KeyRing:
    """Named HMAC keys; the first one signs."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]) -> None:
        self._keys = dict(keys)
        if not self._keys:
            raise ValueError("a key ring needs at least one key")
        self.signing_kid = next(iter(self._keys))
        self._macs = {kid: _Hmac(key) for kid, key in self._keys.items()}

    @classmethod
    def from_settings(cls, entries: list[str], site_secret: str) -> KeyRing:
        if entries:
            pairs = []
            for entry in entries:
                kid, _, secret = entry.partition(":")
                pairs.append((kid, secret.encode()))
            return cls(pairs)
        derived = hmac.digest(site_secret.encode(), b"northbound-waiting-room-pass", "sha256")
        return cls([("k0", derived)])

    def get(self, kid: str) -> bytes | None:
        return self._keys.get(kid)

    def mac(self, kid: str) -> _Hmac | None:
        return self._macs.get(kid)


class PassSigner:
    """Issues and verifies tickets and passes for one room."""

    def __init__(self, room: str, keys: KeyRing) -> None:
        self.room = room
        self._room_hash = room_hash(room)
        self._keys = keys

    def sign(self, claims: Claims) -> str:
        record = _RECORD.pack(
            claims.kind,
            self._room_hash,  # a signer only ever vouches for its own room
            claims.position,
            claims.issued_at,
            claims.expires_at,
            claims.joined_at,
            claims.admitted_at,
            claims.estimate_seconds,
            claims.prequeue_index,
            claims.visitor_hash,
        )
        kid = self._keys.signing_kid
        mac = self._keys.mac(kid)
        assert mac is not None
        body = f"{kid}.{_b64(record)}"
        return f"{body}.{_b64(mac.digest(body.encode()))}"

    def verify(
        self, token: str, *, visitor_id: str, now: float, kind: Kind | None = None
    ) -> Claims:
        """Return the claims of a genuine, current token of this room and visitor, or raise."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise PassRefused("oversized")
        parts = token.split(".")
        if len(parts) != 3 or not token.isascii():
            raise PassRefused("malformed")
        kid, payload, mac_text = parts
        mac_of = self._keys.mac(kid)
        if mac_of is None:
            raise PassRefused("unknown_key")
        if len(mac_text) != _MAC_TEXT_LENGTH:
            raise PassRefused("malformed")
        # Compared in its one canonical spelling: no decoding, and no second spelling of a MAC
        inner, outer = mac_of.copies()
        inner.update(token[: len(token) - _MAC_TEXT_LENGTH - 1].encode())
        outer.update(inner.digest())
        if not hmac.compare_digest(b2a_base64(outer.digest(), newline=False), mac_text.encode()):
            raise PassRefused("bad_signature")
        try:
            record = a2b_base64(payload, strict_mode=True)
        except (binascii.Error, ValueError):
            raise PassRefused("malformed") from None
        if len(record) != _RECORD.size:
            raise PassRefused("malformed")
        fields = _RECORD.unpack(record)
        kind_found = _KINDS.get(fields[0])
        if kind_found is None:
            raise PassRefused("malformed")
        if fields[1] != self._room_hash:
            raise PassRefused("wrong_room")
        if kind is not None and kind_found is not kind:
            raise PassRefused("wrong_kind")
        # fields: kind, room hash, position, issued, expires, joined, admitted, estimate, pq, vid
        refused = time_refusal(fields[3], fields[4], now)
        if refused:
            raise PassRefused(refused)
        if not hmac.compare_digest(fields[9], visitor_hash(visitor_id)):
            raise PassRefused("wrong_visitor")
        # tuple.__new__ skips NamedTuple's keyword handling: this runs on every request
        claims: Claims = tuple.__new__(Claims, (kind_found, self.room, *fields[2:]))
        return claims


def claimed_position(token: str) -> int | None:
    """The place a pass says its holder was let in at, read *without* verifying it: for tools
    that watch their own passes (a benchmark ordering the people it sent), never for a
    decision. None for anything that is not a well-formed pass."""
    try:
        _, payload, _ = token.strip('"').split(".")
        fields = _RECORD.unpack(a2b_base64(payload, strict_mode=True))
    except (ValueError, struct.error, binascii.Error):
        return None
    return int(fields[2]) if fields[0] == Kind.PASS else None

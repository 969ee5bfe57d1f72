"""Signed waiting tickets and passes.

One compact format for both: ``<kid>.<payload>.<mac>`` where payload is a fixed binary record
(base64url) and mac is HMAC-SHA256 over ``kid.payload`` with the key named by kid. Everything
the room needs to know about one visitor travels inside it, so the server keeps no per-visitor
record: the position, when they joined, the estimate they were shown and the hash of their
cookie id. Several keys verify at once (rotation); a key taken off the list is retired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

# kind, room hash, position, issued, expires, joined, admitted, estimate, pre-queue index, vid.
_RECORD = struct.Struct(">B8sQIIIIiI16s")
MAX_TOKEN_LENGTH = 256


class Kind(IntEnum):
    TICKET = 1  # a place in line, not yet admitted
    PASS = 2  # admitted


class PassRefused(Exception):
    """A token failed verification; ``reason`` is a short metric label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Claims:
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


def room_hash(room: str) -> bytes:
    return hashlib.sha256(b"northbound-room:" + room.encode()).digest()[:8]


def visitor_hash(visitor_id: str) -> bytes:
    return hashlib.sha256(b"northbound-visitor:" + visitor_id.encode()).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing:
    """Named HMAC keys; the first one signs."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]) -> None:
        self._keys = dict(keys)
        if not self._keys:
            raise ValueError("a key ring needs at least one key")
        self.signing_kid = next(iter(self._keys))

    @classmethod
    def from_settings(cls, entries: list[str], site_secret: str) -> KeyRing:
        if entries:
            pairs = []
            for entry in entries:
                kid, _, secret = entry.partition(":")
                pairs.append((kid, secret.encode()))
            return cls(pairs)
        derived = hmac.new(site_secret.encode(), b"northbound-waiting-room-pass", "sha256")
        return cls([("k0", derived.digest())])

    def get(self, kid: str) -> bytes | None:
        return self._keys.get(kid)


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
        key = self._keys.get(kid)
        assert key is not None
        body = f"{kid}.{_b64(record)}"
        mac = hmac.new(key, body.encode(), "sha256").digest()
        return f"{body}.{_b64(mac)}"

    def verify(
        self, token: str, *, visitor_id: str, now: float, kind: Kind | None = None
    ) -> Claims:
        """Return the claims of a genuine, current token of this room and visitor, or raise."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise PassRefused("oversized")
        parts = token.split(".")
        if len(parts) != 3:
            raise PassRefused("malformed")
        kid, payload, mac_text = parts
        key = self._keys.get(kid)
        if key is None:
            raise PassRefused("unknown_key")
        try:
            mac = _unb64(mac_text)
            record = _unb64(payload)
        except (binascii.Error, ValueError):
            raise PassRefused("malformed") from None
        expected = hmac.new(key, f"{kid}.{payload}".encode(), "sha256").digest()
        if not hmac.compare_digest(mac, expected):
            raise PassRefused("bad_signature")
        if len(record) != _RECORD.size:
            raise PassRefused("malformed")
        fields = _RECORD.unpack(record)
        if fields[0] not in (Kind.TICKET, Kind.PASS):
            raise PassRefused("malformed")
        claims = Claims(Kind(fields[0]), self.room, *fields[2:])
        if fields[1] != self._room_hash:
            raise PassRefused("wrong_room")
        if kind is not None and claims.kind != kind:
            raise PassRefused("wrong_kind")
        if now >= claims.expires_at:
            raise PassRefused("expired")
        if claims.issued_at > now + 300:
            raise PassRefused("issued_in_future")
        if not hmac.compare_digest(claims.visitor_hash, visitor_hash(visitor_id)):
            raise PassRefused("wrong_visitor")
        return claims

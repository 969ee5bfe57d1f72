"""Reference codes: the CRS answers packed into a short signed code, valid 60 days.

Nothing is stored: the code carries the answers, its issue day and an HMAC, so it keeps
working when the database is down and across instances sharing the secret key. Each form
value becomes one small number (an option's position, a whole number, or a score doubled
so IELTS half bands stay whole) written as a varint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Final

from northbound.portal.eligibility.crs_tables import CanadianEducation, Education
from northbound.portal.eligibility.language import LanguageTest
from northbound.portal.eligibility.signing import derive_key

VALID_FOR: Final = timedelta(days=60)
_MAC_BYTES: Final = 8
_EPOCH: Final = date(2020, 1, 1)
_VERSION: Final = 1

_MARITAL: Final = (
    "never_married",
    "married",
    "common_law",
    "separated_or_divorced",
    "widowed",
    "annulled",
)
_TESTS: Final = tuple(t.value for t in LanguageTest)
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "education": tuple(e.value for e in Education),
    "canadian_education": tuple(e.value for e in CanadianEducation),
    "marital_status": _MARITAL,
    "first_language__test": _TESTS,
    "second_language__test": _TESTS,
    "spouse__education": tuple(e.value for e in Education),
    "spouse__language__test": _TESTS,
}
_NUMBERS: Final = (
    "age",
    "canadian_work_years",
    "foreign_work_years",
    "spouse__canadian_work_years",
)
_SCORES: Final = tuple(
    f"{prefix}__{ability}"
    for prefix in ("first_language", "second_language", "spouse__language")
    for ability in ("speaking", "listening", "reading", "writing")
)
_FLAGS: Final = (
    "certificate_of_qualification",
    "provincial_nomination",
    "sibling_in_canada",
    "spouse__accompanying",
    "spouse__canadian_citizen_or_pr",
)
FIELDS: Final = (*_CHOICES, *_NUMBERS, *_SCORES, *_FLAGS)
"""The CRS form fields a code carries, in the order they are packed."""


class InvalidReference(ValueError):
    """The code is malformed, forged or expired."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varints(data: bytes) -> list[int]:
    values, current, shift = [], 0, 0
    for byte in data:
        current |= (byte & 0x7F) << shift
        shift += 7
        if shift > 28:
            raise InvalidReference("number too large")
        if not byte & 0x80:
            values.append(current)
            current, shift = 0, 0
    if shift:
        raise InvalidReference("truncated")
    return values


def _pack_value(name: str, raw: str) -> int:
    """0 means blank; anything that does not fit the field is packed as blank too."""
    raw = raw.strip()
    if not raw:
        return 0
    if name in _CHOICES:
        options = _CHOICES[name]
        return options.index(raw) + 1 if raw in options else 0
    if name in _FLAGS:
        return 1
    try:
        number = float(raw)
    except ValueError:
        return 0
    scaled = number * 2 if name in _SCORES else number
    if not scaled.is_integer() or not 0 <= scaled < 100_000:
        return 0
    return int(scaled) + 1


def _unpack_value(name: str, packed: int) -> str | None:
    if packed == 0:
        return None
    if name in _CHOICES:
        options = _CHOICES[name]
        if packed > len(options):
            raise InvalidReference(name)
        return options[packed - 1]
    if name in _FLAGS:
        return "yes"
    value = packed - 1
    if name in _SCORES:
        return str(value // 2) if value % 2 == 0 else f"{value / 2:.1f}"
    return str(value)


def _encode(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def _decode(code: str) -> bytes:
    cleaned = "".join(code.split()).replace("-", "").upper()
    if not cleaned or len(cleaned) > 200:
        raise InvalidReference("length")
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:
        raise InvalidReference("encoding") from exc


def make_code(values: Mapping[str, str], secret: str, today: date) -> str:
    """A code for these CRS form values, issued ``today``."""
    body = _varint(_VERSION) + _varint((today - _EPOCH).days)
    body += b"".join(_varint(_pack_value(name, values.get(name, ""))) for name in FIELDS)
    mac = hmac.new(derive_key(secret, "reference code"), body, hashlib.sha256).digest()[:_MAC_BYTES]
    code = _encode(body + mac)
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def read_code(code: str, secret: str, today: date) -> dict[str, str]:
    """The form values a valid code carries; raises ``InvalidReference`` otherwise."""
    raw = _decode(code)
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(derive_key(secret, "reference code"), body, hashlib.sha256).digest()[
        :_MAC_BYTES
    ]
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
        raise InvalidReference("signature")
    numbers = _read_varints(body)
    if len(numbers) != 2 + len(FIELDS) or numbers[0] != _VERSION:
        raise InvalidReference("layout")
    issued = _EPOCH + timedelta(days=numbers[1])
    if not issued <= today < issued + VALID_FOR:
        raise InvalidReference("expired")
    values: dict[str, str] = {}
    for name, packed in zip(FIELDS, numbers[2:], strict=True):
        value = _unpack_value(name, packed)
        if value is not None:
            values[name] = value
    return values

"""What the gate reads from a request before anything else: one cookie, one header.

(Which language it is in: :mod:`northbound.surge.language`.)

Plain functions over the raw ASGI headers, without a full parse: they run on every poll.
"""

from __future__ import annotations

from starlette.types import Scope


def cookie_value(header: str, name: str) -> str:
    """One cookie's value from a Cookie header ('' when absent); the first one wins."""
    start = 0
    while True:
        found = header.find(name, start)
        if found < 0:
            return ""
        end_of_name = found + len(name)
        before = header[found - 1] if found else ";"
        if (before in "; ") and header.startswith("=", end_of_name):
            value_end = header.find(";", end_of_name)
            value = header[end_of_name + 1 : value_end if value_end >= 0 else None]
            return value.strip().strip('"')
        start = end_of_name


def header_value(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return ""

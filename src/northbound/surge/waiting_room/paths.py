"""Which paths need a pass, decided on every plausible reading of the request path.

A path can be spelled many ways that a server, a proxy or a framework may treat as the same
resource: ``/Apply``, ``/apply/``, ``//apply``, ``/static/../apply``, ``/static%2F..%2Fapply``,
``/%61pply``. The gate normalises each reading and protects the request unless *every* reading
lands on an exempt prefix, so odd spellings can only ever make the gate stricter.

One reading is always the path exactly as the router will match it (``scope["path"]``, decoded
once by the server, nothing resolved): normalising alone reads ``/a/..\\..\\healthz`` as
``/healthz`` while the router sends it to whatever serves ``/a/...``. Taken literally, a
spelling is exempt only if the router itself would take it to an exempt prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote

_CACHE_SIZE = 16_384  # the paths a site sees repeat; odd ones just fall out of the cache


@lru_cache(maxsize=_CACHE_SIZE)
def normalise(path: str) -> str:
    """Case-folded, fully percent-decoded path with dot segments resolved and no empty ones."""
    for _ in range(4):  # double and triple encoding (%252F) decode to the same thing
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = path.replace("\\", "/").lower()
    segments: list[str] = []
    for segment in path.split("/"):
        segment = segment.split(";", 1)[0]  # matrix parameters name the same resource
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def _prefix_key(prefix: str) -> str:
    return normalise(prefix).rstrip("/")


class PathPolicy:
    """Include and exclude prefix lists matched on normalised paths at segment boundaries."""

    def __init__(self, include: Iterable[str], exclude: Iterable[str]) -> None:
        self._include = tuple(_prefix_key(p) for p in include)
        self._exclude = tuple(_prefix_key(p) for p in exclude)
        self._decide = lru_cache(maxsize=_CACHE_SIZE)(self._decide_uncached)

    @staticmethod
    def _matches(path: str, prefixes: tuple[str, ...]) -> bool:
        for prefix in prefixes:
            if prefix == "" or path == prefix or path.startswith(prefix + "/"):
                return True
        return False

    def _protects(self, normal: str) -> bool:
        return self._matches(normal, self._include) and not self._matches(normal, self._exclude)

    def needs_pass(self, path: str, raw_path: bytes | None = None) -> bool:
        return self._decide(path, raw_path)

    def _decide_uncached(self, path: str, raw_path: bytes | None) -> bool:
        # the router's own reading, then the ones a proxy or another server might make
        readings = {path, normalise(path)}
        if raw_path is not None:
            readings.add(normalise(raw_path.decode("latin-1").split("?", 1)[0]))
        return any(self._protects(reading) for reading in readings)

    def is_under(self, path: str, prefix: str) -> bool:
        return self._matches(normalise(path), (_prefix_key(prefix),))

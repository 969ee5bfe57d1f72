"""A response rendered once and served many times from memory.

Each representation (identity, gzip, brotli) is compressed at build time, so serving one costs
a dictionary lookup and a header check: no template, no database, no compression per request.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

import brotli

# Below this size compression saves less than its headers cost.
MIN_COMPRESS_BYTES = 512


@dataclass(frozen=True, slots=True)
class Representation:
    body: bytes
    headers: list[tuple[bytes, bytes]]
    etag: bytes


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """One URL's bytes in every encoding, with validators and caching headers built in."""

    identity: Representation
    gzip: Representation | None
    br: Representation | None
    not_modified_headers: dict[bytes, list[tuple[bytes, bytes]]] = field(default_factory=dict)
    route: str = ""

    @classmethod
    def build(
        cls,
        body: bytes,
        content_type: str,
        cache_control: str,
        last_modified: datetime,
        route: str,
        extra_headers: list[tuple[str, str]] | None = None,
    ) -> CachedResponse:
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        modified = format_datetime(last_modified.astimezone(UTC), usegmt=True)
        common = [
            (b"cache-control", cache_control.encode()),
            (b"last-modified", modified.encode()),
            (b"vary", b"Accept-Encoding"),
            (b"x-content-type-options", b"nosniff"),
        ]
        common += [(k.lower().encode(), v.encode()) for k, v in extra_headers or []]
        compressible = len(body) >= MIN_COMPRESS_BYTES and not content_type.startswith("image/")

        def representation(data: bytes, etag: str, encoding: str | None) -> Representation:
            headers = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(data)).encode()),
                (b"etag", etag.encode()),
                *common,
            ]
            if encoding:
                headers.append((b"content-encoding", encoding.encode()))
            return Representation(data, headers, etag.encode())

        identity = representation(body, f'"{digest}"', None)
        gz = br = None
        if compressible:
            gz = representation(gzip.compress(body, 9, mtime=0), f'"{digest}-gz"', "gzip")
            br = representation(brotli.compress(body, quality=11), f'"{digest}-br"', "br")
        not_modified = {
            rep.etag: [(b"etag", rep.etag), *common]
            for rep in (identity, gz, br)
            if rep is not None
        }
        return cls(identity, gz, br, not_modified, route)

    def choose(self, accept_encoding: bytes) -> Representation:
        """Best representation for an Accept-Encoding header (brotli, then gzip, then none)."""
        if accept_encoding:
            offered = _accepted_codings(accept_encoding)
            if self.br is not None and "br" in offered:
                return self.br
            if self.gzip is not None and "gzip" in offered:
                return self.gzip
        return self.identity

    def matched_tag(self, if_none_match: bytes, chosen: Representation) -> bytes | None:
        """The tag of ours that If-None-Match names, by weak comparison (RFC 9110 13.1.2).

        A client holding any of our representations holds the current content, so the 304
        repeats the tag it sent. Malformed headers simply do not match (the client gets a 200).
        """
        if if_none_match.strip() == b"*":
            return chosen.etag
        for candidate in if_none_match[:4096].split(b","):
            tag = candidate.strip()
            if tag.startswith(b"W/"):
                tag = tag[2:]
            if tag in self.not_modified_headers:
                return tag
        return None


@lru_cache(maxsize=256)  # browsers send a handful of distinct headers; parsing costs more
def _accepted_codings(header: bytes) -> frozenset[str]:
    """Codings the client accepts; ``q=0`` means "not acceptable", junk q-values count as 0."""
    codings: set[str] = set()
    for part in header[:1024].decode("latin-1").split(","):
        name, _, params = part.partition(";")
        quality = 1.0
        key, _, value = params.strip().partition("=")
        if key.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if quality > 0:
            codings.add(name.strip().lower())
    return frozenset(codings)

"""Fingerprinted static assets: ``css/site.css`` is served as ``/static/css/site.<hash>.css``.

The hash changes whenever the file does, so browsers may cache an asset for a year.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import UTC, datetime
from pathlib import Path

from northbound.web.cached_response import CachedResponse

STATIC_DIR = Path(__file__).with_name("static")
STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"


class StaticAssets:
    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.root = root
        self.urls: dict[str, str] = {}
        self.responses: dict[str, CachedResponse] = {}
        self.reload()

    def reload(self) -> None:
        urls: dict[str, str] = {}
        responses: dict[str, CachedResponse] = {}
        for file in sorted(p for p in self.root.rglob("*") if p.is_file()):
            logical = file.relative_to(self.root).as_posix()
            data = file.read_bytes()
            digest = hashlib.blake2b(data, digest_size=6).hexdigest()
            url = f"{STATIC_PREFIX}{_fingerprinted(logical, digest)}"
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            modified = datetime.fromtimestamp(file.stat().st_mtime, UTC)
            urls[logical] = url
            responses[url] = CachedResponse.build(
                data, content_type, IMMUTABLE, modified, route="/static/{asset}"
            )
        self.urls, self.responses = urls, responses

    def url(self, logical: str) -> str:
        """Public URL of an asset; raises KeyError for a name that does not exist."""
        return self.urls[logical]


def _fingerprinted(logical: str, digest: str) -> str:
    stem, dot, suffix = logical.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{logical}.{digest}"

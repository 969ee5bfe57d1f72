"""Keys for this package's signatures, derived from the site's secret key per purpose."""

from __future__ import annotations

import hashlib


def derive_key(secret: str, purpose: str) -> bytes:
    """A separate key per purpose, so a signature made for one use is useless for another."""
    return hashlib.sha256(f"northbound eligibility\x00{purpose}\x00{secret}".encode()).digest()

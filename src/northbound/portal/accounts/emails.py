"""Checking and normalising email addresses (deliberately simple: the link we send proves it)."""

from __future__ import annotations

MAX_EMAIL = 254


def normalise_email(raw: str) -> str | None:
    """Lower-cased address, or None when it cannot be an address."""
    email = raw.strip().lower()
    if not email or len(email) > MAX_EMAIL or email.count("@") != 1:
        return None
    local, domain = email.split("@")
    if not local or len(local) > 64 or "." not in domain or domain.startswith("."):
        return None
    if domain.endswith(".") or ".." in domain or ".." in local:
        return None
    if any(c.isspace() or ord(c) < 32 or c in '<>()[]\\,;:"' for c in email):
        return None
    return email

"""The site's signing keys: where the secret comes from, and how it is rotated.

One secret signs sessions' CSRF tokens, questionnaire reference codes and (unless pass keys
are given) waiting-room passes. Three rules keep those working across restarts and rotations:

* **Embedded default**: with no ``NORTHBOUND_SECRET_KEY`` the secret is drawn once and kept in
  ``<data dir>/secret_key`` (mode 0600), so a restart neither logs anyone out nor invalidates
  passes and reference codes. Every process reading that data dir (``--workers``, the
  ``room`` commands) agrees on it.
* **Several instances** on other machines cannot share a file: when the state is shared
  (Redis or PostgreSQL) the secret must be given explicitly, or start-up stops with an error
  naming the setting. A per-instance secret would make every instance refuse the others'
  passes, silently.
* **Rotation**: the new secret goes in ``NORTHBOUND_SECRET_KEY`` and the old one in
  ``NORTHBOUND_PREVIOUS_SECRET_KEYS``. The current secret signs, every listed one still
  verifies. Pass keys derived from the secrets are named by a fingerprint of their secret, so a
  pass signed before the rotation still finds its key afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SECRET_FILE_NAME = "secret_key"
SECRET_BYTES = 32
MIN_SECRET_LENGTH = 16


class KeyConfigurationError(RuntimeError):
    """The keys are configured in a way that would break passes or sessions; says what to fix."""


def generate_secret() -> str:
    """A new random secret (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def load_or_create_secret(data_dir: Path) -> str:
    """The secret kept in ``data_dir``, drawn and written (0600) the first time.

    Written to a private temporary file and then hard-linked into place: the link either
    creates the final name or fails because another process got there first, so two workers
    starting together both end up with the same secret and nobody ever reads half a file.
    """
    path = data_dir / SECRET_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        _write_once(path, generate_secret())
    return _read_private(path)


def _write_once(path: Path, secret: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # If another process won the race, its secret is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_private(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyConfigurationError(
            f"{path} can be read by other users (mode {mode:04o}); run `chmod 600 {path}` "
            "(it signs every session and pass)"
        )
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise KeyConfigurationError(
            f"{path} holds no usable secret (fewer than {MIN_SECRET_LENGTH} characters); "
            "delete it to draw a new one, or set NORTHBOUND_SECRET_KEY"
        )
    return secret


def fingerprint(secret: str) -> str:
    """A short public name for a secret (safe to log and to use as a key id)."""
    return hashlib.sha256(b"northbound-key-id:" + secret.encode()).hexdigest()[:10]


def derived_pass_keys(current: str, previous: Iterable[str]) -> list[str]:
    """Waiting-room pass keys (``kid:secret``) derived from the site secrets, current first.

    The first entry signs new passes; the others keep verifying passes issued before a
    rotation until they expire.
    """
    entries: list[str] = []
    for secret in (current, *previous):
        derived = hmac.digest(secret.encode(), b"northbound-waiting-room-pass", "sha256").hex()
        entry = f"s{fingerprint(secret)}:{derived}"
        if entry not in entries:
            entries.append(entry)
    return entries


def verify_with_any(
    secrets_in_order: Sequence[str], check: Callable[[str], T], refused: type[Exception]
) -> T:
    """``check`` with the current secret, then each previous one; the last refusal is raised.

    For what a secret signed before a rotation (CSRF tokens in open forms, reference codes):
    they keep working until the previous secret is taken off the list.
    """
    for secret in secrets_in_order[:-1]:
        try:
            return check(secret)
        except refused:
            continue
    return check(secrets_in_order[-1])

"""Password hashing (argon2id) and the NIST SP 800-63B checks for a new password.

800-63B asks for a minimum length, a generous maximum, a check against passwords known to be
common or breached, and no composition rules ("one digit, one symbol") — those only make
passwords harder to remember without making them harder to guess.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from northbound.portal.accounts.config import AccountSettings
from northbound.portal.accounts.hash_pool import HashPool, HashPriority

MIN_LENGTH = 8
SUGGESTED_LENGTH = 15
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def normalise(password: str) -> str:
    """NFKC, as 800-63B recommends, so the same password typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


def password_problem(password: str, email: str = "") -> str | None:
    """The English message for what is wrong with a new password, or None when it is fine."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        return "Use at least 8 characters. A long phrase of several words is easier to remember."
    if len(password) > MAX_LENGTH:
        return "Use 128 characters or fewer."
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in common_passwords() or (len(local_part) >= 4 and local_part in lowered):
        return "This password is too easy to guess. Choose a phrase others would not expect."
    if len(set(lowered)) <= 2:
        return "This password is too easy to guess. Choose a phrase others would not expect."
    return None


class PasswordHashing:
    """argon2id hashing in a bounded, paced worker pool (:mod:`.hash_pool`), so a slow hash
    never blocks the event loop and a crowd signing in never takes the whole CPU.

    Raises :class:`~.hash_pool.HashingBusy` when the pool cannot take the hash in time.
    """

    def __init__(self, settings: AccountSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self.pool = HashPool(
            workers=settings.hash_workers,
            share=settings.hash_cpu_share,
            max_queue=settings.hash_max_queue,
            max_wait=settings.hash_max_wait_seconds,
        )
        # Verifying against this keeps "no such account" as slow as "wrong password".
        self._dummy = self._hasher.hash("northbound-timing-equaliser")

    async def hash(self, password: str) -> str:
        text = normalise(password)
        return await self.pool.run(HashPriority.HASH, lambda: self._hasher.hash(text))

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        text = normalise(password)
        return await self.pool.run(HashPriority.VERIFY, lambda: self._verify(stored_hash, text))

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

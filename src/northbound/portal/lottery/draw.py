"""The draw: a random order anyone can recompute from what is published.

How it works, in the order things happen:

1. When the intake opens we publish ``commitment = SHA-256(seed)``, where ``seed`` is 32
   secret random bytes chosen when the intake was created. The hash binds us to the seed
   without telling anyone what it is.
2. After the intake closes and duplicates are settled we publish the list of eligible
   confirmation numbers. From then on the list cannot change.
3. Only then do we publish the seed. Anyone can check ``SHA-256(seed) == commitment``.
4. The order is the eligible list sorted by ::

       rank(c) = HMAC-SHA256(key=seed, message=c as ASCII)       (ties: by c itself)

   compared as 32-byte strings. HMAC-SHA256 with a secret key behaves as a random
   function, so before the seed is known no one (sponsor or staff member choosing which
   forms to count) can tell where a number will land, and every ordering of the list is
   equally likely (``tests/portal/lottery`` checks this with a chi-square test over many seeds).
5. Round 1 invites the first ``n1`` numbers of the order; each later round continues down the
   same order, skipping anyone already invited. So the invitations of all rounds together are
   always the first ``n1 + n2 + ...`` numbers of the order, which is what :func:`verify`
   checks.

Everything here is pure: no clock, no database, no randomness except :func:`new_seed`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SEED_BYTES = 32


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    """The published promise: hex SHA-256 of the raw seed bytes."""
    return hashlib.sha256(seed).hexdigest()


def rank(seed: bytes, confirmation: str) -> bytes:
    """Where ``confirmation`` sorts: HMAC-SHA256 keyed by the seed."""
    return hmac.new(seed, confirmation.encode("ascii"), hashlib.sha256).digest()


def order(seed: bytes, confirmations: Iterable[str]) -> list[str]:
    """The draw's order of ``confirmations`` (duplicates in the input are refused)."""
    entries = list(confirmations)
    if len(set(entries)) != len(entries):
        raise ValueError("a confirmation number appears twice in the list")
    return sorted(entries, key=lambda c: (rank(seed, c), c))


def list_digest(confirmations: Iterable[str]) -> str:
    """A short fingerprint of the published list: SHA-256 of the sorted numbers, one a line."""
    text = "".join(f"{c}\n" for c in sorted(confirmations))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def next_round(ranked: Sequence[str], invited: Iterable[str], count: int) -> list[str]:
    """The next ``count`` numbers down ``ranked`` that were not invited before."""
    if count < 0:
        raise ValueError("count must not be negative")
    already = set(invited)
    chosen: list[str] = []
    for confirmation in ranked:
        if len(chosen) == count:
            break
        if confirmation not in already:
            chosen.append(confirmation)
    return chosen


@dataclass(frozen=True, slots=True)
class Published:
    """What the public page and the JSON document show for one draw."""

    commitment: str
    seed_hex: str | None
    eligible: tuple[str, ...]
    rounds: tuple[tuple[str, ...], ...]  # each round's invitations, in the order drawn
    list_digest: str | None = None  # recorded when the list was published, if known


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    problems: tuple[str, ...]
    order: tuple[str, ...]


def verify(published: Published) -> Verification:
    """Recompute the draw from published data alone and compare it with the invitations."""
    problems: list[str] = []
    if published.seed_hex is None:
        return Verification(False, ("The seed has not been published yet.",), ())
    try:
        seed = bytes.fromhex(published.seed_hex)
    except ValueError:
        return Verification(False, ("The published seed is not hexadecimal.",), ())
    if commitment(seed) != published.commitment:
        problems.append("SHA-256 of the seed does not match the commitment.")
    try:
        if (
            published.list_digest is not None
            and list_digest(published.eligible) != published.list_digest
        ):
            problems.append("The eligible list differs from the one published (SHA-256).")
        ranked = order(seed, published.eligible)
    except (ValueError, UnicodeEncodeError):
        return Verification(
            False,
            (*problems, "The eligible list has a repeated or non-ASCII confirmation number."),
            (),
        )
    invited: list[str] = []
    for number, drawn in enumerate(published.rounds, start=1):
        expected = next_round(ranked, invited, len(drawn))
        if list(drawn) != expected:
            problems.append(
                f"Round {number}'s invitations are not the next {len(drawn)} numbers of the order."
            )
        invited.extend(drawn)
    return Verification(not problems, tuple(problems), tuple(ranked))

"""Token-bucket arithmetic shared by every store, so they all answer alike."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of taking one token from a client's bucket.

    ``limit`` is the bucket size (the burst), ``remaining`` whole tokens left, ``reset`` seconds
    until the bucket is full again, ``retry_after`` seconds until the next token (0 if allowed).
    ``degraded`` means the store could not be asked and the request was let through unchecked.
    """

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int
    degraded: bool = False

    @classmethod
    def from_tokens(cls, *, allowed: bool, tokens: float, rate: float, burst: int) -> Decision:
        """Describe a bucket holding ``tokens`` after the take (or the refused attempt)."""
        missing = max(0.0, burst - tokens)
        retry = 0 if allowed else math.ceil(max(0.0, 1.0 - tokens) / rate)
        return cls(
            allowed=allowed,
            limit=burst,
            remaining=max(0, math.floor(tokens)),
            reset=math.ceil(missing / rate),
            retry_after=max(retry, 0 if allowed else 1),
        )

    @classmethod
    def unchecked(cls, burst: int) -> Decision:
        return cls(
            allowed=True, limit=burst, remaining=burst, reset=0, retry_after=0, degraded=True
        )


def refill_and_take(
    tokens: float, updated: float, now: float, *, rate: float, burst: int
) -> tuple[float, bool]:
    """Refill at ``rate`` tokens/s since ``updated`` (capped at ``burst``), then take one if any.

    Returns the tokens left and whether one was taken. A clock that stepped backwards refills
    nothing rather than draining the bucket.
    """
    tokens = min(float(burst), tokens + max(0.0, now - updated) * rate)
    if tokens >= 1.0:
        return tokens - 1.0, True
    return tokens, False

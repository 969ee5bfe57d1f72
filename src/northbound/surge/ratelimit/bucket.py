"""Token-bucket arithmetic shared by every store, so they all answer alike."""

from __future__ import annotations

import math
from typing import NamedTuple


class Decision(NamedTuple):
    """The outcome of taking one token from a client's bucket.

    ``limit`` is the bucket size (the burst), ``remaining`` whole tokens left, ``reset`` seconds
    until the bucket is full again, ``retry_after`` seconds until the next token (0 if allowed).
    ``degraded`` means the store could not be asked and the request was let through unchecked.

    Only the bucket's state is stored; the figures above are worked out when read, because
    almost every decision is an allowed request whose headers nobody sends (this runs for
    every dynamic request, and building the figures cost more than the rest of the check).
    """

    allowed: bool
    tokens: float
    rate: float
    burst: int
    degraded: bool = False

    @classmethod
    def from_tokens(cls, *, allowed: bool, tokens: float, rate: float, burst: int) -> Decision:
        """Describe a bucket holding ``tokens`` after the take (or the refused attempt)."""
        return cls(allowed, tokens, rate, burst)

    @classmethod
    def unchecked(cls, burst: int) -> Decision:
        return cls(True, float(burst), 1.0, burst, degraded=True)

    @property
    def limit(self) -> int:
        return self.burst

    @property
    def remaining(self) -> int:
        return max(0, math.floor(self.tokens))

    @property
    def reset(self) -> int:
        return math.ceil(max(0.0, self.burst - self.tokens) / self.rate)

    @property
    def retry_after(self) -> int:
        if self.allowed:
            return 0
        return max(1, math.ceil(max(0.0, 1.0 - self.tokens) / self.rate))


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

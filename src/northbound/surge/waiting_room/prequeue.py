"""A keyed random permutation of the early arrivals, with no per-visitor storage.

Before a scheduled opening every arrival gets an arrival index ``0..n-1`` (carried in the
ticket). At the opening one random key is drawn and index ``i`` is placed at
``shuffle(i)``: a balanced Feistel network over the smallest power-of-four domain that holds
``n``, cycle-walked back into ``0..n-1``. The map is a bijection, so no two early arrivals share
a place, and the key is 128 random bits, so no one can predict or influence their place.
"""

from __future__ import annotations

import hashlib

_ROUNDS = 6


def _round(key: bytes, round_index: int, half: int, bits: int) -> int:
    digest = hashlib.blake2b(
        half.to_bytes(8, "big") + bytes([round_index]), key=key, digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") & ((1 << bits) - 1)


def _feistel(key: bytes, value: int, bits: int) -> int:
    mask = (1 << bits) - 1
    left, right = value >> bits, value & mask
    for round_index in range(_ROUNDS):
        left, right = right, left ^ _round(key, round_index, right, bits)
    return (left << bits) | right


def shuffled_index(key: bytes, index: int, count: int) -> int:
    """Where arrival ``index`` of ``count`` early arrivals lands, in ``0..count-1``."""
    if not 0 <= index < count:
        raise ValueError("index out of range")
    if count == 1:
        return 0
    half_bits = max(1, ((count - 1).bit_length() + 1) // 2)
    value = index
    while True:  # cycle walking: at most a few steps, the domain is < 4x count
        value = _feistel(key, value, half_bits)
        if value < count:
            return value

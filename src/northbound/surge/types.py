"""Names shared across the surge layers, so each is spelled once.

Nothing here knows the site: the site's own names (its session cookie, its brand, the paths
that never wait) are handed in by whoever wires the layers (``northbound.defence``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds as a float. Injected everywhere so tests drive time by hand."""

MONOTONIC: Clock = time.monotonic
"""For intervals measured inside one process: limits, buckets, breakers, queues."""

WALL: Clock = time.time
"""For times that cross processes or reach the visitor: passes, the line, the pre-queue."""

PASS_SCOPE_KEY = "surge.pass"
"""Set by the waiting-room gate to the verified pass (:class:`~.waiting_room.tokens.Claims`)
or None. Admission control reads it: a pass holder ranks as normal."""

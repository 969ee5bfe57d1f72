"""Per-client sign-in rate limit (sliding window, in process memory).

The per-account lockout lives in the database (it must hold across instances); this limit
stops one client guessing across many accounts. Client addresses never leave memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SignInThrottle:
    def __init__(
        self,
        attempts: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.clock = clock
        self.max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 means it may try now (and it is counted)."""
        now = self.clock()
        stamps = self._seen.get(client)
        if stamps is None:
            stamps = deque()
            self._seen[client] = stamps
            if len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)  # bounded memory: forget the oldest client
        else:
            self._seen.move_to_end(client)
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.attempts:
            return max(1, int(stamps[0] + self.window - now) + 1)
        stamps.append(now)
        return 0

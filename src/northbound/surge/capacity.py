"""The contract between admission control and the waiting room's inlet.

Admission control measures what the site can take; the waiting room's closed-loop inlet reads it
to decide how many people to let in. Neither imports the other: both speak this protocol.
"""

from __future__ import annotations

from typing import Protocol


class CapacitySignal(Protocol):
    """What an admission controller tells the rest of the surge layer about this instance."""

    @property
    def limit(self) -> int:
        """Current concurrency limit (requests allowed in flight at once)."""
        ...

    @property
    def in_flight(self) -> int:
        """Requests currently being served."""
        ...

    @property
    def saturated(self) -> bool:
        """True while requests are being queued or shed for lack of capacity."""
        ...

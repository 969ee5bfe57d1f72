"""The contract between admission control and the waiting room's inlet.

Admission control measures what the site can take; the waiting room's closed-loop inlet reads it
to decide how many people to let in. Neither imports the other: both speak this protocol.
"""

from __future__ import annotations

from typing import Protocol

ADMITTED_SCOPE_KEY = "surge.admitted"
"""Set (to True) by the waiting room on the request that ends a visitor's wait in line.

Admission control admits that request whatever its queue looks like (it is counted in flight
but never queued or shed): the room let this person in because the site had room for them,
the inlet paces how many such requests arrive, and turning them away on the very request that
ends their wait would waste the wait and the place (a visitor let in at their turn and then
shown a 503 has been treated worse than one who never queued; in a crowd test a quarter of
the people let in were)."""


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
    def busy_seconds(self) -> float:
        """In-flight requests integrated over time (request-seconds) since start: the mean
        concurrency between two readings is their difference divided by the time between."""
        ...

    @property
    def shed_total(self) -> int:
        """Requests refused for lack of capacity since start."""
        ...

    @property
    def holders_in_flight(self) -> int:
        """Of ``in_flight``, the requests of people the waiting room let in (they carry its
        pass): the room reads its own people's load apart from the pages it leaves open."""
        ...

    @property
    def holders_busy_seconds(self) -> float:
        """``busy_seconds`` of those requests alone."""
        ...

    @property
    def holders_shed_total(self) -> int:
        """Of ``shed_total``, those requests."""
        ...

    @property
    def saturated(self) -> bool:
        """True while requests are being queued or shed for lack of capacity."""
        ...

"""Passes and tickets: issuing them, checking them, renewing them.

A *ticket* holds a place in line; a *pass* lets its holder through the gate for a sliding
session (``session_seconds``, renewed when half of it is gone) that never runs past
``max_session_seconds`` after they were let in. Both are signed claims (:mod:`.tokens`): this
module decides what goes in them and whether one still holds. The only state it reads that can
change is the set of revoked places, which the tick keeps (see :class:`~.tick.Tick`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import Clock
from .config import WaitingRoomSettings
from .metrics import RoomMetrics
from .tick import Tick
from .tokens import Claims, Kind, PassRefused, PassSigner, time_refusal


@dataclass(frozen=True, slots=True)
class Admitted:
    token: str
    claims: Claims
    # This visit claimed the place the line let in: the request that ends a wait (see
    # ADMITTED_SCOPE_KEY), which admission control and the hashing pool never refuse. Not a
    # pass shown again, a free-flow entry, nor a ticket shown again after its place was
    # claimed here in the last activity window (10-20 s): a replayed ticket passed as
    # committed every time. (Replayed after that, or at another instance, it counts once more:
    # at most once a window per instance, for a place that had to wait its turn.)
    ended_wait: bool = False


class Passes:
    def __init__(
        self,
        settings: WaitingRoomSettings,
        signer: PassSigner,
        tick: Tick,
        clock: Clock,
        metrics: RoomMetrics | None = None,
    ) -> None:
        self.name = settings.name
        self._failures = metrics.pass_failures if metrics is not None else None
        self.settings = settings
        self.signer = signer
        self._tick = tick
        self.clock = clock

    def check(self, token: str, visitor_id: str) -> Claims | None:
        """Verified claims of a current, unrevoked pass, or None (failures are counted)."""
        try:
            claims = self.signer.verify(token, visitor_id=visitor_id, now=self.clock())
        except PassRefused as refused:
            self._count_failure(refused.reason)
            return None
        if self._revoked(claims):
            self._count_failure("revoked")
            return None
        return claims

    def _count_failure(self, reason: str) -> None:
        if self._failures is not None:
            self._failures.labels(self.name, reason).inc()

    def _revoked(self, claims: Claims) -> bool:
        return claims.kind is Kind.PASS and claims.position in self._tick.revoked

    def still_valid(self, claims: Claims) -> bool:
        """Re-check, for claims verified earlier, all that can change since: time, revocation.

        The rest of a verification (signature, key, room, visitor) depends only on the token,
        the visitor id and this room's signer, so it holds for as long as those are the same.
        """
        if time_refusal(claims.issued_at, claims.expires_at, self.clock()):
            return False
        return not self._revoked(claims)

    def renewal(self, claims: Claims) -> str | None:
        """A fresh pass when the sliding session is due for renewal, else None."""
        now = int(self.clock())
        session = self.settings.session_seconds
        if claims.expires_at - now > session / 2:
            return None
        hard_end = claims.admitted_at + self.settings.max_session_seconds
        expires = min(now + session, hard_end)
        if expires <= claims.expires_at:
            return None
        return self.signer.sign(claims._replace(issued_at=now, expires_at=expires))

    def issue(
        self, position: int, vhash: bytes, joined: int, estimate: int, *, ended_wait: bool = False
    ) -> Admitted:
        """A pass for the person let in at ``position``; ``estimate`` is the wait they were
        promised when they joined (-1: none), kept to grade the estimate later."""
        now = int(self.clock())
        claims = self._claims(
            Kind.PASS, position, vhash, joined, estimate, now,
            expires_at=now + self.settings.session_seconds, admitted_at=now,
        )  # fmt: skip
        return Admitted(self.signer.sign(claims), claims, ended_wait)

    def ticket(
        self,
        position: int,
        vhash: bytes,
        joined: int,
        estimate: int,
        prequeue: tuple[int, int] = (0, 0),
    ) -> str:
        """A ticket for ``position``, or, in the pre-queue, for its draw: ``prequeue`` is
        (index in the pre-queue, the schedule it was issued under, in ``admitted_at``)."""
        claims = self._claims(
            Kind.TICKET, position, vhash, joined, estimate, int(self.clock()),
            expires_at=joined + self.settings.ticket_seconds, admitted_at=prequeue[1],
            prequeue_index=prequeue[0],
        )  # fmt: skip
        return self.signer.sign(claims)

    def _claims(
        self, kind: Kind, position: int, vhash: bytes, joined: int, estimate: int, now: int,
        *, expires_at: int, admitted_at: int, prequeue_index: int = 0,
    ) -> Claims:  # fmt: skip
        return Claims(
            kind=kind, room=self.name, position=position, issued_at=now, expires_at=expires_at,
            joined_at=joined, admitted_at=admitted_at, estimate_seconds=estimate,
            prequeue_index=prequeue_index, visitor_hash=vhash,
        )  # fmt: skip

"""The load the room's own people bring: their requests in flight, counted inside admission
control.

The inlet tells the line's load apart from the open pages' (:mod:`.inlet`, "The line's
share"), and for that it needs the pass holders' requests counted the way admission control
counts every request: from the moment one is let through to the moment it is answered. The
gate cannot count them itself: it sits in front of admission control, so a request it passed
on would also count while it waited in admission control's queue, or for the event loop.
Counted there in a crowd that held the site at its limit for two minutes (the lab's
``surge-hold``), one tick in six read more holders' requests in flight than admission control
had in all (16 against 10): the line filling the site on its own, and the inlet shut. So this layer
goes behind admission control, in front of the routes, and counts only requests that carry a
verified pass (the gate put its claims in the scope). One difference remains: a request that
steps aside from admission control while it waits for a password hash gives its slot back
there and still counts here, so the tick bounds the holders' load by all of it
(:meth:`~.tick.Tick._measure_busy`). Counting in the limiter itself, by permit, would remove
the difference; not done yet.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .middleware import SCOPE_KEY
from .room import WaitingRoom


class HolderLoad:
    """ASGI middleware: a pass holder's request counts as the line's load while it runs."""

    def __init__(self, app: ASGIApp, *, room: WaitingRoom) -> None:
        self.app = app
        self.room = room

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or SCOPE_KEY not in scope:
            await self.app(scope, receive, send)
            return
        room = self.room
        room.holder_request(1)
        try:
            await self.app(scope, receive, send)
        finally:
            room.holder_request(-1)

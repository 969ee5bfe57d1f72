"""Stepping aside: a request that waits on a separately bounded resource gives its
admission slot back while it waits.

Admission control counts requests in flight because they compete for the event loop and the
database. A request parked in another queue (a password-hashing pool with its own bound)
competes for neither, yet it held its slot; a few dozen sign-ups waiting for hashes then filled
the whole limit and the site shed pages while its loop sat idle (seen in a crowd run). The
middleware records the permit of the request running in this task; code about to wait
elsewhere wraps the wait in :func:`stepped_aside`, which is a no-op outside admission control
(tests, the unprotected site, a command-line tool).

The helper takes no argument and knows nothing of what is waited for, so code outside the
surge layer can be handed it as a plain async context manager factory (the portal is).

Such a resource refuses people when its own queue is too long; but not the request that ends a
wait in the waiting room, which admission control admitted over its limit because the room let
that person in (:data:`~northbound.surge.capacity.ADMITTED_SCOPE_KEY`): :func:`committed_request`
tells it so. In the lab's election night a JSON client let in on its sign-in, the request itself
being its poll, was answered 503 by the password-hashing pool on the very request that ended
its wait (3 and 7 people in two runs).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar

from northbound.surge.admission.permit import Permit

CURRENT_PERMIT: ContextVar[Permit | None] = ContextVar("surge_admission_permit", default=None)


@contextlib.asynccontextmanager
async def stepped_aside() -> AsyncIterator[None]:
    """Give this request's slot back for the duration of the block; take one again after."""
    permit = CURRENT_PERMIT.get()
    if permit is None:
        yield
        return
    permit.step_aside()
    try:
        yield
    finally:
        permit.step_back()


def committed_request() -> bool:
    """Whether the request running in this task is one the site committed to serve (see the
    module's text): False outside admission control."""
    permit = CURRENT_PERMIT.get()
    return permit is not None and permit.committed

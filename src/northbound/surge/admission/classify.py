"""Deciding a request's priority from what arrives before its body."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import Scope

from northbound.surge.admission.priority import Priority
from northbound.surge.capacity import ADMITTED_SCOPE_KEY
from northbound.surge.types import PASS_SCOPE_KEY

Classifier = Callable[[Scope], Priority]


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def has_cookie(scope: Scope, name: bytes) -> bool:
    """Whether the Cookie header carries ``name`` with a non-empty value (no full parse)."""
    prefix = name + b"="
    for key, value in scope.get("headers", ()):
        if key != b"cookie":
            continue
        for part in bytes(value).split(b";"):
            part = part.strip()
            if part.startswith(prefix) and len(part) > len(prefix):
                return True
    return False


class DefaultClassifier:
    """Generic rule, knowing nothing about the site behind it.

    * the request that ends a wait in the waiting room (``scope["surge.admitted"]``) →
      CRITICAL: the room admitted this person because there was room, see
      :data:`~northbound.surge.capacity.ADMITTED_SCOPE_KEY`;
    * under ``reads``, prefixes the site names for pages that ask a question and store
      nothing (calculators, search), whatever the method → NORMAL: the site serves them to
      everyone without a place in line, so they share the site with the people the room let
      in, on equal terms, rather than starve behind them;
    * unsafe method (POST, PUT, PATCH, DELETE): it finishes something started → CRITICAL;
    * holds a waiting-room pass (:data:`~northbound.surge.types.PASS_SCOPE_KEY` is not None)
      or a session cookie → NORMAL;
    * anyone else → SHEDDABLE.

    A forged session cookie only buys NORMAL, never CRITICAL, and costs nothing to check.
    """

    def __init__(self, session_cookie: str = "session", reads: Sequence[str] = ()) -> None:
        self._cookie = session_cookie.encode("latin-1")
        # matched on the path the router routes, as the rate limiter matches them
        self._reads = tuple(reads)

    def __call__(self, scope: Scope) -> Priority:
        if scope.get(ADMITTED_SCOPE_KEY):
            return Priority.CRITICAL
        if self._reads and scope["path"].startswith(self._reads):
            return Priority.NORMAL
        if scope.get("method", "GET") in UNSAFE_METHODS:
            return Priority.CRITICAL
        if scope.get(PASS_SCOPE_KEY) is not None or has_cookie(scope, self._cookie):
            return Priority.NORMAL
        return Priority.SHEDDABLE

"""Route classes: which bucket a request draws from.

A request is classed by what it does, not only by its method: a POST under one of the
``reads`` prefixes computes an answer and changes nothing (a calculator), so it draws from the
bucket a GET of the same path would, not from the one that paces form submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import Scope


@dataclass(frozen=True, slots=True)
class RouteClass:
    name: str
    prefix: str
    rate: float
    burst: int
    methods: frozenset[str] = frozenset()

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.prefix) and (not self.methods or method in self.methods)


def match_route(
    classes: Sequence[RouteClass], scope: Scope, reads: tuple[str, ...] = ()
) -> RouteClass | None:
    """The first class that matches, or None (no limit)."""
    method: str = scope.get("method", "GET")
    path: str = scope.get("path", "/")
    if reads and method == "POST" and path.startswith(reads):
        method = "GET"
    for route_class in classes:
        if route_class.matches(method, path):
            return route_class
    return None

"""Route classes: which bucket a request draws from."""

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


def match_route(classes: Sequence[RouteClass], scope: Scope) -> RouteClass | None:
    """The first class that matches, or None (no limit)."""
    method: str = scope.get("method", "GET")
    path: str = scope.get("path", "/")
    for route_class in classes:
        if route_class.matches(method, path):
            return route_class
    return None

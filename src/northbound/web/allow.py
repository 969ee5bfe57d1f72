"""The ``Allow`` header of a 405: every method the path takes, not only the first route's.

Starlette answers 405 from the first route whose path matches, so a path served by several
routes (``GET`` and ``DELETE`` of ``/api/v1/session`` next to its ``POST``) would list only
one of them. This asks every route.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def _flat(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            yield from _flat(included.routes)
        else:
            yield route


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Methods of every route whose path matches the request's, sorted; HEAD with GET."""
    methods: set[str] = set()
    probe = {**scope, "type": "http"}
    for route in _flat(routes):
        match, _ = route.matches(probe)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)

"""One page declared once, served at its English and its French address.

Every page of the site has two addresses, each with its own slugs (``/en/account/sign-in`` and
``/fr/compte/connexion``), and each links to the other (the language switch in the layout).
A :class:`BilingualRouter` holds the table of those addresses by page name: ``page`` registers
one handler under both, and ``twin`` answers the other address of the page being served, so no
handler spells the table out again. The handler learns its language from its own path (the
``PageLanguage`` parameter below).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from northbound.settings import LANGUAGES, Language
from northbound.web.language import other, page_language

PageTable = Mapping[str, Mapping[Language, str]]
"""Page name → its address template in each language (``{param}`` for path parameters)."""

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Response]])

PageLanguage = Annotated[Language, Depends(page_language)]
"""A handler parameter: the language of the address the page was reached at."""


class BilingualRouter:
    """A FastAPI router whose routes come in language pairs.

    ``dependencies`` run before each page's own: the portal passes the database check there,
    so a form says "paused" before anyone types into it. Routes added to :attr:`router`
    directly (a bare ``/en/account`` redirect) do without them.
    """

    def __init__(
        self, paths: PageTable, dependencies: Sequence[params.Depends] | None = None
    ) -> None:
        self.paths = paths
        self.router = APIRouter(include_in_schema=False)
        self.dependencies = list(dependencies or ())
        self._names: dict[str, str] = {}

    def page(self, name: str, methods: Sequence[str]) -> Callable[[Handler], Handler]:
        """Register the decorated handler at page ``name``'s address in every language."""

        def register(handler: Handler) -> Handler:
            for language in LANGUAGES:
                path = self.paths[name][language]
                self._names[path] = name
                self.router.add_api_route(
                    path, handler, methods=list(methods), dependencies=self.dependencies
                )
            return handler

        return register

    def href(self, name: str, language: Language, **path_params: object) -> str:
        return self.paths[name][language].format(**path_params)

    def twin(self, request: Request, name: str | None = None, **path_params: object) -> str:
        """The other language's address of page ``name`` (by default the page being served),
        filled in with this request's path parameters unless ``path_params`` replace them
        (a slug, for one, differs between the languages)."""
        if name is None:
            route = request.scope["route"]
            assert isinstance(route, APIRoute)  # only this router's own pages ask
            name = self._names[route.path]
        filled = {**request.path_params, **path_params}
        return self.href(name, other(page_language(request)), **filled)

    def hrefs(self, language: Language) -> dict[str, str]:
        """Every page's address template in ``language``, for templates that link to several."""
        return {name: by_language[language] for name, by_language in self.paths.items()}

"""One page declared once, served at its English and its French address.

Every page of the site has two addresses, each with its own slugs (``/en/account/sign-in`` and
``/fr/compte/connexion``), and each links to the other (the language switch in the layout).
A :class:`BilingualRouter` holds the table of those addresses by page name: ``page`` registers
one handler under both, and ``twin`` answers the other address of the page being served, so no
handler spells the table out again. The handler learns its language from its own path (the
``PageLanguage`` parameter below).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, FastAPI, params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from northbound.settings import LANGUAGES, Language
from northbound.web.language import other, page_language, path_language

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


_PARAM = re.compile(r"\{(\w+)\}")


class Twins:
    """Every bilingual page's addresses, site-wide: any address of the site as the same page
    in a given language.

    Each :class:`BilingualRouter` the site serves adds its table (:func:`include_pages`).
    The waiting room asks when someone in line switches language: they are let in to the page
    they asked for, in the language they chose. Path parameters (an application's id) carry
    over as they are; a slug that differs between the languages is the page's own business.
    """

    def __init__(self) -> None:
        self._pages: list[tuple[int, re.Pattern[str], Mapping[Language, str]]] = []

    def add(self, table: PageTable) -> None:
        for by_language in table.values():
            for template in by_language.values():
                pattern = "".join(
                    f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
                    for index, part in enumerate(_PARAM.split(template))
                )
                fixed = len(_PARAM.sub("", template))
                self._pages.append((fixed, re.compile(pattern + "/?"), by_language))
        # the most specific address wins: /applications/new before /applications/{id}
        self._pages.sort(key=lambda page: -page[0])

    def address(self, path: str, language: Language) -> str:
        """``path`` (query included) as the same page in ``language``; a path the tables
        do not know, unchanged (a language's home page becomes the other one's)."""
        bare, mark, query = path.partition("?")
        if path_language(bare) in (None, language):
            return path
        if bare.strip("/") in LANGUAGES:
            return f"/{language}/" + mark + query
        for _, pattern, by_language in self._pages:
            found = pattern.fullmatch(bare)
            if found is not None:
                return by_language[language].format(**found.groupdict()) + mark + query
        return path


def include_pages(app: FastAPI, *routers: BilingualRouter) -> None:
    """Serve the routers' pages, and make their addresses known to ``app.state.twins``."""
    for pages in routers:
        app.include_router(pages.router)
        app.state.twins.add(pages.paths)

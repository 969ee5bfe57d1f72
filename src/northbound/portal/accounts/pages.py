"""Rendering account and application pages: the layout context every such page needs."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, csrf_token, finish
from northbound.settings import Language
from northbound.web.i18n import gettext
from northbound.web.templating import Crumb

NO_STORE = {"cache-control": "no-store", "x-frame-options": "DENY"}


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(18)


def account_crumbs(language: Language, *extra: Crumb) -> list[Crumb]:
    home = "/en/" if language == "en" else "/fr/"
    return [
        Crumb(gettext(language, "Home"), home),
        Crumb(gettext(language, "My account"), ACCOUNT_PATHS["home"][language]),
        *extra,
    ]


def render(
    request: Request,
    visitor: Visitor,
    language: Language,
    template: str,
    *,
    title: str,
    twin_href: str,
    breadcrumbs: list[Crumb] | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    """A full page with the CSRF token, a fresh idempotency key and the account links."""
    state = accounts_state(request)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("idempotency_key", new_idempotency_key())
    body = state.templates.render(
        language,
        template,
        title=gettext(language, title),
        twin_href=twin_href,
        breadcrumbs=breadcrumbs if breadcrumbs is not None else account_crumbs(language),
        csrf_token=csrf_token(request, visitor),
        user=visitor.user,
        account_paths={name: paths[language] for name, paths in ACCOUNT_PATHS.items()},
        **context,
    )
    return finish(request, HTMLResponse(body, status_code=status, headers=NO_STORE), visitor)


def redirect(request: Request, visitor: Visitor, location: str) -> Response:
    """303 See Other: after a POST the browser fetches the next page with GET."""
    return finish(request, RedirectResponse(location, status_code=303, headers=NO_STORE), visitor)


def sign_in_redirect(request: Request, visitor: Visitor, language: Language) -> Response:
    target = ACCOUNT_PATHS["sign_in"][language] + "?next=" + quote(request.url.path, safe="/")
    return redirect(request, visitor, target)

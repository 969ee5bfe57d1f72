"""Who may use a page, decided in one place: FastAPI dependencies for the visitor, the
signed-in user and staff.

A page that needs an account sends a visitor who is not signed in to the sign-in page, with the
way back (``SignedIn``, ``Staff``; :class:`SignInRequired` is answered in
:mod:`northbound.web.errors`). Where a post is an action with no page of its own to come back
to (an upload, a staff decision, the lottery form), a post from nobody signed in is refused
with 403 instead (``SignedInToAct``, ``StaffToAct``); a GET of the same address still leads to
sign-in. A signed-in person without the staff flag gets 404 on every staff address: for them
those pages do not exist, which also avoids confirming what is there.

FastAPI resolves a handler's dependencies in the order of its parameters, so a handler that
must check something first (the intake exists, the form's CSRF token) lists it first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.datastructures import FormData
from starlette.requests import Request

from northbound.portal.accounts.models import User
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, current_visitor, read_form
from northbound.web.bilingual import BilingualRouter, PageTable

SAFE_METHODS = frozenset({"GET", "HEAD"})


class SignInRequired(Exception):
    """The page needs an account and the visitor has none: show the sign-in page, then come
    back here."""

    def __init__(self, visitor: Visitor) -> None:
        super().__init__("sign in required")
        self.visitor = visitor


async def database_open(request: Request) -> None:
    """While the database's circuit is open, say "submissions are paused" (503) before anyone
    starts typing into a form. An outage during the handler reaches the outage handler
    (:mod:`northbound.web.errors`) as ``DatabaseUnavailable``: never a 500."""
    accounts_state(request).db.raise_if_open()


CurrentVisitor = Annotated[Visitor, Depends(current_visitor)]
"""Whoever is asking, signed in or not (resolved once per request)."""


async def posted_form(request: Request, visitor: CurrentVisitor) -> FormData:
    """The small form posted with this request, its CSRF token checked (403 if not)."""
    return await read_form(request, visitor)


PostedForm = Annotated[FormData, Depends(posted_form)]


def refuse_non_staff(visitor: Visitor) -> None:
    """404 for a signed-in person without the staff flag: the staff pages do not exist."""
    if visitor.user is not None and not visitor.user.is_staff:
        raise HTTPException(404)


def _member(visitor: Visitor, *, staff: bool, refuse_posts: bool, method: str) -> User:
    if staff:
        refuse_non_staff(visitor)
    if visitor.user is not None:
        return visitor.user
    if refuse_posts and method not in SAFE_METHODS:
        raise HTTPException(403)
    raise SignInRequired(visitor)


async def signed_in(request: Request, visitor: CurrentVisitor) -> User:
    """The signed-in user; anyone else is sent to sign in, whatever the method."""
    return _member(visitor, staff=False, refuse_posts=False, method=request.method)


async def signed_in_to_act(request: Request, visitor: CurrentVisitor) -> User:
    """The signed-in user; anyone else is sent to sign in from a page, refused (403) a post."""
    return _member(visitor, staff=False, refuse_posts=True, method=request.method)


async def staff(request: Request, visitor: CurrentVisitor) -> User:
    """A signed-in staff member; other people get 404, nobody signed in is sent to sign in."""
    return _member(visitor, staff=True, refuse_posts=False, method=request.method)


async def staff_to_act(request: Request, visitor: CurrentVisitor) -> User:
    """A signed-in staff member; other people get 404, a post from nobody signed in 403."""
    return _member(visitor, staff=True, refuse_posts=True, method=request.method)


SignedIn = Annotated[User, Depends(signed_in)]
SignedInToAct = Annotated[User, Depends(signed_in_to_act)]
Staff = Annotated[User, Depends(staff)]
StaffToAct = Annotated[User, Depends(staff_to_act)]


def database_pages(paths: PageTable) -> BilingualRouter:
    """A bilingual router for pages backed by the database, each checking it is there first."""
    return BilingualRouter(paths, dependencies=[Depends(database_open)])

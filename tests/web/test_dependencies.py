"""Who may use a page: the one place that decides sign-in redirect, 403 and 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from northbound.portal.accounts.models import User
from northbound.portal.accounts.visitor import Visitor
from northbound.web.dependencies import (
    SignInRequired,
    signed_in,
    signed_in_to_act,
    staff,
    staff_to_act,
)

Check = Callable[[Request, Visitor], Awaitable[User]]


def _request(method: str) -> Request:
    return Request({"type": "http", "method": method, "path": "/en/account/", "headers": []})


def _visitor(user: User | None) -> Visitor:
    return Visitor(
        user=user,
        session_token=None,
        csrf_binding="b",
        new_csrf_cookie=False,
        stale_session_cookie=False,
    )


PERSON = User(email="p@example.com", is_staff=False)
STAFF = User(email="s@example.com", is_staff=True)


@pytest.mark.parametrize("check", [signed_in, signed_in_to_act, staff, staff_to_act])
async def test_the_right_person_passes(check: Check) -> None:
    assert await check(_request("POST"), _visitor(STAFF)) is STAFF


@pytest.mark.parametrize("check", [signed_in, signed_in_to_act])
async def test_anyone_signed_in_passes_the_applicant_checks(check: Check) -> None:
    assert await check(_request("GET"), _visitor(PERSON)) is PERSON


@pytest.mark.parametrize("check", [staff, staff_to_act])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_staff_pages_do_not_exist_for_other_people(check: Check, method: str) -> None:
    with pytest.raises(HTTPException) as refused:
        await check(_request(method), _visitor(PERSON))
    assert refused.value.status_code == 404


@pytest.mark.parametrize("check", [signed_in, signed_in_to_act, staff, staff_to_act])
async def test_nobody_signed_in_is_sent_to_sign_in_from_a_page(check: Check) -> None:
    nobody = _visitor(None)
    with pytest.raises(SignInRequired) as sent:
        await check(_request("GET"), nobody)
    assert sent.value.visitor is nobody


@pytest.mark.parametrize(
    ("check", "status"),
    [
        (signed_in, None),
        (staff, None),
        (signed_in_to_act, 403),
        (staff_to_act, 403),
    ],
)
async def test_a_post_from_nobody(check: Check, status: int | None) -> None:
    """An action refuses it (no page to come back to); a page form still leads to sign-in."""
    with pytest.raises(HTTPException if status else SignInRequired) as refused:
        await check(_request("POST"), _visitor(None))
    if status:
        assert isinstance(refused.value, HTTPException)
        assert refused.value.status_code == status

"""Account pages in English and French: sign up, sign in and out, password, verification."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from northbound.portal.accounts import service
from northbound.portal.accounts.emails import normalise_email
from northbound.portal.accounts.mail import delivery_task
from northbound.portal.accounts.pages import account_crumbs, redirect, render
from northbound.portal.accounts.paths import ACCOUNT_PATHS, safe_next
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import (
    Visitor,
    clear_session_cookie,
    read_form,
    set_session_cookie,
)
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import CurrentVisitor, PostedForm, SignedIn, database_pages
from northbound.web.form_fields import clipped
from northbound.web.i18n import gettext
from northbound.web.templating import Crumb

pages = database_pages(ACCOUNT_PATHS)
router = pages.router


@dataclass(frozen=True, slots=True)
class _FormPage:
    """One account form's page: shown empty on GET, and again with what was wrong after a
    refused POST. Its template, title and breadcrumbs are named once for both."""

    request: Request
    visitor: Visitor
    language: Language
    template: str
    title: str
    breadcrumbs: list[Crumb]

    def show(self, status: int = 200, **context: Any) -> Response:
        return render(
            self.request,
            self.visitor,
            self.language,
            self.template,
            title=self.title,
            twin_href=pages.twin(self.request),
            breadcrumbs=self.breadcrumbs,
            status=status,
            **context,
        )


@pages.page("sign_up", ["GET", "POST"])
async def sign_up(request: Request, language: PageLanguage, visitor: CurrentVisitor) -> Response:
    state = accounts_state(request)
    crumbs = account_crumbs(language)[:1]
    page = _FormPage(
        request, visitor, language, "accounts/sign_up.html", "Create an account", crumbs
    )
    if request.method == "GET":
        return page.show()
    form = await read_form(request, visitor)
    email = clipped(form, "email", 320)
    errors = await service.sign_up(
        state,
        email,
        clipped(form, "password", 1000),
        clipped(form, "confirm", 1000),
        language,
        idempotency_key=clipped(form, "idempotency_key", 100),
    )
    if errors:
        return page.show(400, errors=errors, values={"email": email})
    # The same answer for a new address and one that has an account: both were sent a
    # message (a confirmation link, or a note to the owner). Nobody is signed in here, or
    # the cookie alone would tell the two apart.
    response = redirect(request, visitor, ACCOUNT_PATHS["sign_in"][language] + "?check_email=1")
    response.background = delivery_task(state.db, state.settings.accounts)
    return response


@pages.page("sign_in", ["GET", "POST"])
async def sign_in(request: Request, language: PageLanguage, visitor: CurrentVisitor) -> Response:
    state = accounts_state(request)
    crumbs = account_crumbs(language)[:1]
    page = _FormPage(request, visitor, language, "accounts/sign_in.html", "Sign in", crumbs)
    if request.method == "GET":
        next_path = safe_next(request.query_params.get("next"), language)
        return page.show(
            next_path=next_path,
            check_email=request.query_params.get("check_email") == "1",
            signed_out=request.query_params.get("signed_out") == "1",
            password_reset=request.query_params.get("reset") == "1",
        )
    form = await read_form(request, visitor)
    email = clipped(form, "email", 320)
    next_path = safe_next(clipped(form, "next", 500), language)

    def again(
        errors: dict[str, str], status: int, headers: dict[str, str] | None = None
    ) -> Response:
        response = page.show(status, errors=errors, values={"email": email}, next_path=next_path)
        response.headers.update(headers or {})
        return response

    result = await service.sign_in(state, email, clipped(form, "password", 1000))
    if result.user is None:
        if result.error == "locked":
            message = gettext(
                language,
                "This account is locked for {minutes} minutes after "
                "too many failed attempts. You can also reset your password.",
            )
            return again(
                {"form": message.format(minutes=result.locked_minutes)},
                429,
                {"retry-after": str(result.locked_minutes * 60)},
            )
        return again({"form": result.error, "email": "", "password": ""}, 400)
    token = await state.sessions.start(result.user.id, replacing=visitor.session_token)
    response = redirect(request, visitor, next_path)
    set_session_cookie(request, response, token)
    return response


@pages.page("sign_out", ["POST"])
async def sign_out(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, _form: PostedForm
) -> Response:
    if visitor.session_token:
        await accounts_state(request).sessions.end(visitor.session_token)
    response = redirect(request, visitor, ACCOUNT_PATHS["sign_in"][language] + "?signed_out=1")
    clear_session_cookie(request, response)
    return response


@pages.page("password", ["GET", "POST"])
async def change_password(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    crumbs = account_crumbs(language)
    page = _FormPage(
        request, visitor, language, "accounts/password.html", "Change your password", crumbs
    )
    if request.method == "GET":
        return page.show()
    form = await read_form(request, visitor)
    state = accounts_state(request)
    errors = await service.change_password(
        state,
        user,
        clipped(form, "current", 1000),
        clipped(form, "password", 1000),
        clipped(form, "confirm", 1000),
    )
    if errors:
        return page.show(400, errors=errors)
    # Every other session ended; this browser gets a fresh one.
    token = await state.sessions.start(user.id)
    response = redirect(request, visitor, ACCOUNT_PATHS["home"][language] + "?changed=1")
    set_session_cookie(request, response, token)
    return response


@pages.page("verify", ["GET"])
async def verify(request: Request, language: PageLanguage, visitor: CurrentVisitor) -> Response:
    ok = await service.verify_email(accounts_state(request), request.query_params.get("token", ""))
    return render(
        request,
        visitor,
        language,
        "accounts/verified.html",
        title="Email address confirmed" if ok else "This link did not work",
        twin_href=pages.twin(request),
        breadcrumbs=account_crumbs(language),
        ok=ok,
        status=200 if ok else 400,
    )


@pages.page("resend", ["POST"])
async def resend(
    request: Request,
    language: PageLanguage,
    visitor: CurrentVisitor,
    _form: PostedForm,
    user: SignedIn,
) -> Response:
    state = accounts_state(request)
    if user.email_verified_at is None:
        await service.resend_verification(state, user, language)
    response = redirect(request, visitor, ACCOUNT_PATHS["home"][language] + "?sent=1")
    response.background = delivery_task(state.db, state.settings.accounts)
    return response


@pages.page("forgot", ["GET", "POST"])
async def forgot(request: Request, language: PageLanguage, visitor: CurrentVisitor) -> Response:
    crumbs = [
        *account_crumbs(language)[:1],
        Crumb(gettext(language, "Sign in"), ACCOUNT_PATHS["sign_in"][language]),
    ]
    page = _FormPage(
        request, visitor, language, "accounts/forgot.html", "Reset your password", crumbs
    )
    if request.method == "GET":
        return page.show()
    form = await read_form(request, visitor)
    email = clipped(form, "email", 320)
    if normalise_email(email) is None:
        return page.show(
            400,
            errors={"email": "Enter an email address in the form name@example.com."},
            values={"email": email},
        )
    state = accounts_state(request)
    await service.request_reset(state, email, language)
    response = replace(page, title="Check your email").show(sent=True)
    response.background = delivery_task(state.db, state.settings.accounts)
    return response


@pages.page("reset", ["GET", "POST"])
async def reset(request: Request, language: PageLanguage, visitor: CurrentVisitor) -> Response:
    crumbs = account_crumbs(language)[:1]
    page = _FormPage(
        request, visitor, language, "accounts/reset.html", "Choose a new password", crumbs
    )
    if request.method == "GET":
        return page.show(token=request.query_params.get("token", "")[:100])
    form = await read_form(request, visitor)
    token = clipped(form, "token", 100)
    errors = await service.reset_password(
        accounts_state(request),
        token,
        clipped(form, "password", 1000),
        clipped(form, "confirm", 1000),
    )
    if errors:
        return page.show(400, token=token, errors=errors)
    response = redirect(request, visitor, ACCOUNT_PATHS["sign_in"][language] + "?reset=1")
    if visitor.session_token:
        clear_session_cookie(request, response)
    return response


@router.get("/en/account")
@router.get("/fr/compte")
async def account_root(request: Request) -> Response:
    return RedirectResponse(request.url.path + "/", status_code=308)

"""The contact form (anyone, no account needed), its acknowledgment page, and the staff page
where these messages are read and answered by email. Both languages, no JavaScript needed.

After a successful post the browser is sent (303) to the acknowledgment page, so a reload
cannot send the message again; the form's idempotency key makes a double-click or a retry of
the post itself return the same reference.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.mail import delivery_task
from northbound.portal.accounts.pages import redirect, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor
from northbound.portal.applications.idempotency import KeyReused, valid_key
from northbound.portal.applications.receipts import normalise_receipt
from northbound.portal.contact import service
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import (
    CurrentVisitor,
    PostedForm,
    Staff,
    StaffToAct,
    database_pages,
)
from northbound.web.form_fields import clipped
from northbound.web.i18n import gettext
from northbound.web.language import LANGUAGE_NAMES, other
from northbound.web.templating import SITE_LINKS, Crumb

CONTACT_PATHS: dict[str, dict[Language, str]] = {
    "contact": {"en": "/en/contact-us", "fr": "/fr/nous-joindre"},
    "sent": {"en": "/en/contact-us/sent", "fr": "/fr/nous-joindre/envoye"},
    "staff_contact": {
        "en": "/en/account/staff/contact-messages",
        "fr": "/fr/compte/personnel/messages-recus",
    },
    "staff_answer": {
        "en": "/en/account/staff/contact-messages/{request_id}",
        "fr": "/fr/compte/personnel/messages-recus/{request_id}",
    },
}
# read a little past each limit, so "too long" is said rather than silently cut
FIELDS = {"name": service.MAX_NAME + 80, "email": 320, "topic": 40, "file_number": 40, "body": 4100}

pages = database_pages(CONTACT_PATHS)
router = pages.router


def _crumbs(language: Language) -> list[Crumb]:
    return [
        Crumb(gettext(language, "Home"), f"/{language}/"),
        Crumb(gettext(language, "Help and contact"), SITE_LINKS[language]["help"]),
    ]


def _form_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    *,
    status: int = 200,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        visitor,
        language,
        "contact/form.html",
        title="Contact us",
        twin_href=pages.href("contact", other(language)),
        breadcrumbs=_crumbs(language),
        topics=service.TOPICS,
        values=values,
        errors=errors or {},
        status=status,
    )


@pages.page("contact", ["GET"])
async def contact_form(
    request: Request, language: PageLanguage, visitor: CurrentVisitor
) -> Response:
    values = {"email": visitor.user.email} if visitor.user is not None else {}
    return _form_page(request, visitor, language, values=values)


@pages.page("contact", ["POST"])
async def contact(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, form: PostedForm
) -> Response:
    raw = {name: clipped(form, name, limit) for name, limit in FIELDS.items()}
    message, errors = service.check_contact(
        raw["name"], raw["email"], raw["topic"], raw["file_number"], raw["body"], language
    )
    key = clipped(form, "idempotency_key", 100)
    if not valid_key(key):
        errors["form"] = "The form is missing its submission key. Reload the page."
    if message is None or errors:
        return _form_page(request, visitor, language, values=raw, errors=errors, status=400)
    state = accounts_state(request)
    try:
        sent = await service.send_contact(state.db, message, key, state.clock())
    except KeyReused:
        return _form_page(
            request,
            visitor,
            language,
            values=raw,
            status=409,
            errors={"form": "This form was already used. Reload the page."},
        )
    response = redirect(
        request,
        visitor,
        CONTACT_PATHS["sent"][language] + "?" + urlencode({"reference": sent.reference}),
    )
    response.background = delivery_task(state.db, state.settings.accounts)
    return response


@pages.page("sent", ["GET"])
async def sent(request: Request, language: PageLanguage, visitor: CurrentVisitor) -> Response:
    reference = normalise_receipt(request.query_params.get("reference", "")[:40])
    if reference is None or not reference.startswith("CT-"):
        raise HTTPException(404)
    twin = pages.twin(request) + "?" + urlencode({"reference": reference})
    return render(
        request,
        visitor,
        language,
        "contact/sent.html",
        title="Message sent",
        twin_href=twin,
        breadcrumbs=_crumbs(language),
        reference=reference,
    )


@pages.page("staff_contact", ["GET"])
async def staff_messages(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: Staff
) -> Response:
    return await _staff_page(request, visitor, language, {})


async def _staff_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    errors: dict[int, str],
    status: int = 200,
) -> Response:
    db = accounts_state(request).db
    return render(
        request,
        visitor,
        language,
        "contact/staff.html",
        title="Messages from the contact form",
        twin_href=pages.href("staff_contact", other(language)),
        requests=await service.open_requests(db),
        topics=dict(service.TOPICS),
        language_names=LANGUAGE_NAMES,
        answer_href=lambda item: CONTACT_PATHS["staff_answer"][language].format(request_id=item.id),
        answered=request.query_params.get("answered") == "1",
        answer_errors=errors,
        status=status,
    )


@pages.page("staff_answer", ["POST"])
async def staff_answer(
    request: Request,
    request_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: PostedForm,
) -> Response:
    if not (request_id.isascii() and request_id.isdigit()) or len(request_id) > 12:
        raise HTTPException(404)
    body = clipped(form, "body", 4100).strip()
    if len(body) < 2 or len(body) > 4000:
        error = (
            "This information is required." if len(body) < 2 else "Use 4,000 characters or fewer."
        )
        return await _staff_page(request, visitor, language, {int(request_id): error}, status=400)
    state = accounts_state(request)
    if await service.answer(state.db, user.id, int(request_id), body, state.clock()) is None:
        raise HTTPException(404)
    response = redirect(request, visitor, CONTACT_PATHS["staff_contact"][language] + "?answered=1")
    response.background = delivery_task(state.db, state.settings.accounts)
    return response

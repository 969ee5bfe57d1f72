"""The applicant's secure messages: the inbox (staff to the applicant; opening it marks every
message read) and enquiries (the applicant to staff, about a submitted application or not).
Apart from the application pages in ``routes.py``: these rest on :mod:`.messages`, not on an
application's steps."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.pages import account_crumbs, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import read_form
from northbound.portal.applications import messages, service
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.applications.paths import APP_PATHS
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import CurrentVisitor, SignedIn, database_pages
from northbound.web.form_fields import clipped

pages = database_pages(APP_PATHS)
router = pages.router


@pages.page("inbox", ["GET"])
async def inbox(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    state = accounts_state(request)
    items = await messages.inbox(state.db, user.id)
    await messages.mark_read(state.db, user.id, state.clock())
    return render(
        request,
        visitor,
        language,
        "applications/inbox.html",
        title="Secure messages",
        twin_href=pages.twin(request),
        breadcrumbs=account_crumbs(language),
        items=items,
    )


@pages.page("enquiries", ["GET", "POST"])
async def enquiries(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    state = accounts_state(request)
    applications = [
        a for a in await service.list_applications(state.db, user.id) if a.receipt_number
    ]
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    reference = ""
    if request.method == "POST":
        form = await read_form(request, visitor)
        values = {
            "topic": clipped(form, "topic", 40),
            "body": clipped(form, "body", 5000),
            "application": clipped(form, "application", 40),
        }
        errors = messages.check_enquiry(
            values["topic"], values["body"], values["application"], {a.id for a in applications}
        )
        if not errors:
            key = submission_key(form.get("idempotency_key"))
            reference = await messages.send_enquiry(
                state.db,
                user.id,
                values["topic"],
                values["body"],
                values["application"] or None,
                key,
                state.clock(),
            )
            values = {}
        else:
            status = 400
    sent = await messages.enquiries_of(state.db, user.id)
    return render(
        request,
        visitor,
        language,
        "applications/enquiries.html",
        title="Ask us a question",
        twin_href=pages.twin(request),
        breadcrumbs=account_crumbs(language),
        applications=applications,
        topics=messages.TOPICS,
        sent=sent,
        reference=reference,
        errors=errors,
        values=values,
        status=status,
    )

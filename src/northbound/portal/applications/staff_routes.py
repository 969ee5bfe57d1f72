"""Staff pages: the work queue, one application (audited), stage moves, messages, enquiries.

A person without the staff flag gets 404 on every staff address: the pages do not exist for
them, which also avoids confirming what is there.
"""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.models import User
from northbound.portal.accounts.pages import account_crumbs, redirect, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, current_visitor
from northbound.portal.applications import messages, requests, service, staff
from northbound.portal.applications.document_routes import document_response
from northbound.portal.applications.fields import answer_label
from northbound.portal.applications.forms import FORMS
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.applications.models import Application
from northbound.portal.applications.paths import APP_PATHS, app_path
from northbound.portal.applications.tracker import stage_title, stages_for
from northbound.portal.applications.uploads import FILE_KINDS
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import (
    CurrentVisitor,
    PostedForm,
    Staff,
    StaffToAct,
    database_pages,
    refuse_non_staff,
)
from northbound.web.form_fields import trimmed
from northbound.web.i18n import gettext
from northbound.web.language import page_language
from northbound.web.templating import Crumb

pages = database_pages(APP_PATHS)
router = pages.router
MAX_SUBJECT, MAX_BODY = 200, 4000

# The redirects after a staff action name what was done (?sent=1, ?asked=1, ?moved=1): the
# page then confirms it in words (staff_application.html). Anything else is ignored.
CONFIRMATIONS = frozenset({"sent", "asked", "moved"})


async def _staff(request: Request) -> tuple[Language, Visitor, User | None]:
    """The staff check for the operator console (``ops/console/routes.py``), which does not
    take the shared dependencies (:mod:`northbound.web.dependencies`) yet."""
    visitor = await current_visitor(request)
    refuse_non_staff(visitor)
    return page_language(request), visitor, visitor.user


def _key(form: FormData) -> str:
    return submission_key(trimmed(form, "idempotency_key", 100))


def _crumbs(language: Language) -> list[Crumb]:
    return account_crumbs(
        language, Crumb(gettext(language, "Staff work queue"), APP_PATHS["staff"][language])
    )


def _message_errors(subject: str, body: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = "This information is required."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = "Use 200 characters or fewer."
    if len(body) < 2:
        errors["body"] = "This information is required."
    elif len(body) > MAX_BODY:
        errors["body"] = "Use 4,000 characters or fewer."
    return errors


@pages.page("staff", ["GET"])
async def work_queue(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: Staff
) -> Response:
    answered = "answered" in request.query_params  # the redirect after a reply says so
    return await _queue_page(request, visitor, language, answered=answered)


async def _queue_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    reply_errors: dict[int, dict[str, str]] | None = None,
    status: int = 200,
    answered: bool = False,
) -> Response:
    db = accounts_state(request).db
    return render(
        request,
        visitor,
        language,
        "applications/staff_queue.html",
        title="Staff work queue",
        twin_href=pages.twin(request, "staff"),
        breadcrumbs=account_crumbs(language),
        applications=await staff.submitted_applications(db),
        enquiries=await messages.open_enquiries(db),
        forms=FORMS,
        stage_title=stage_title,
        topics=dict(messages.TOPICS),
        reply_errors=reply_errors or {},
        answered=answered,
        application_href=lambda a: app_path("staff_application", language, application_id=a.id),
        enquiry_action=lambda e: app_path("staff_enquiry", language, enquiry_id=e.id),
        status=status,
    )


async def _application_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    staff_user: User,
    application: Application,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Response:
    db = accounts_state(request).db
    form = FORMS[application.kind]
    answers = service.answers_of(application)
    rows = [(f, answers.get(f.name, "")) for f in form.all_fields()]
    events = await service.stage_events(db, application.id)
    reached = {e.stage: e.reached_at for e in events}
    documents = await service.documents_of(db, application.id)
    return render(
        request,
        visitor,
        language,
        "applications/staff_application.html",
        title=form.title,
        twin_href=pages.twin(request, "staff_application", application_id=application.id),
        breadcrumbs=_crumbs(language),
        application=application,
        done=done,
        form=form,
        rows=rows,
        stages=stages_for(application.kind),
        reached=reached,
        documents=documents,
        documents_by_id={d.id: d for d in documents},
        asked=await requests.requests_of(db, application.id),
        file_kinds=FILE_KINDS,
        document_choices=[(c.key, c.title) for c in form.documents],
        answer_label=answer_label,
        audit=await staff.audit_trail(db, application.id),
        audit_line=lambda entry: staff.audit_line(entry.action, application.kind),
        stage_action=app_path("staff_stage", language, application_id=application.id),
        message_action=app_path("staff_message", language, application_id=application.id),
        request_action=app_path("staff_request", language, application_id=application.id),
        document_href=lambda d: app_path(
            "staff_document", language, application_id=application.id, document_id=d.id
        ),
        errors=errors or {},
        values=values or {},
        status=status,
    )


async def _refused(
    request: Request,
    visitor: Visitor,
    language: Language,
    staff_user: User,
    application: Application,
    errors: dict[str, str],
    values: dict[str, str],
) -> Response:
    """The application's page again after a refused action: what was wrong, beside what the
    officer wrote (so nothing has to be typed twice), with 400."""
    return await _application_page(
        request, visitor, language, staff_user, application, errors, values, status=400
    )


def _confirmed(
    request: Request, visitor: Visitor, language: Language, application: Application, done: str
) -> Response:
    """Back to the application after an action, naming it (one of :data:`CONFIRMATIONS`) so
    the page confirms it in words; a reload of that page does not post the form again."""
    assert done in CONFIRMATIONS
    return redirect(
        request,
        visitor,
        app_path("staff_application", language, application_id=application.id) + f"?{done}=1",
    )


async def _audited(request: Request, staff_user: User, application_id: str) -> Application:
    state = accounts_state(request)
    application = await staff.view_application(
        state.db, staff_user.id, application_id, state.clock()
    )
    if application is None:
        raise HTTPException(404)
    return application


@pages.page("staff_application", ["GET"])
async def staff_application(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: Staff,
) -> Response:
    application = await _audited(request, user, application_id)
    # what the form just posted did (the handlers redirect here): said once, at the top
    done = next((key for key in request.query_params if key in CONFIRMATIONS), None)
    return await _application_page(request, visitor, language, user, application, done=done)


async def _applicant_language(request: Request, application: Application) -> Language:
    async with accounts_state(request).db.session() as session:
        language = (
            await session.execute(select(User.language).where(User.id == application.user_id))
        ).scalar_one()
    return "fr" if language == "fr" else "en"


@pages.page("staff_stage", ["POST"])
async def staff_stage(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: PostedForm,
) -> Response:
    application = await _audited(request, user, application_id)
    stage = trimmed(form, "stage", 40)
    applicant = await _applicant_language(request, application)
    state = accounts_state(request)
    subject = gettext(applicant, "Your application has moved to a new stage")
    title = stage_title(application.kind, stage)
    body = gettext(applicant, "New stage:") + " " + gettext(applicant, title)
    moved = await staff.move_to_stage(
        state.db, user.id, application, stage, _key(form), state.clock(), subject, body
    )
    if not moved:
        errors = {"stage": "Choose one of the options."}
        return await _refused(request, visitor, language, user, application, errors, {})
    return _confirmed(request, visitor, language, application, "moved")


@pages.page("staff_message", ["POST"])
async def staff_message(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: PostedForm,
) -> Response:
    application = await _audited(request, user, application_id)
    subject, body = trimmed(form, "subject", MAX_SUBJECT), trimmed(form, "body", MAX_BODY)
    errors = _message_errors(subject, body)
    if errors:
        values = {"subject": subject, "body": body}
        return await _refused(request, visitor, language, user, application, errors, values)
    state = accounts_state(request)
    await staff.write_to_applicant(
        state.db, user.id, application, subject, body, _key(form), state.clock()
    )
    return _confirmed(request, visitor, language, application, "sent")


@pages.page("staff_request", ["POST"])
async def staff_request(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: PostedForm,
) -> Response:
    """Ask the applicant for a document: they can then upload it to the submitted file."""
    application = await _audited(request, user, application_id)
    category = trimmed(form, "category", 40)
    note = trimmed(form, "note", requests.MAX_NOTE)
    kinds = FORMS[application.kind]
    errors = requests.note_errors(note)
    if category not in {c.key for c in kinds.documents}:
        errors["category"] = "Choose one of the options."
    if errors:
        values = {"category": category, "note": note}
        return await _refused(request, visitor, language, user, application, errors, values)
    applicant = await _applicant_language(request, application)
    what = gettext(applicant, kinds.document_title(category))
    body = gettext(applicant, "An officer asked you for this document: {document}.").format(
        document=what
    )
    if note:
        body += "\n\n" + note
    body += "\n\n" + gettext(applicant, "Open your application in My applications to send it.")
    notice = requests.Notice(subject=gettext(applicant, "We need a document from you"), body=body)
    state = accounts_state(request)
    await requests.ask_for_document(
        state.db, user.id, application, category, note, _key(form), state.clock(), notice
    )
    return _confirmed(request, visitor, language, application, "asked")


@pages.page("staff_document", ["GET"])
async def staff_document(
    request: Request, application_id: str, document_id: str, user: Staff
) -> Response:
    application = await _audited(request, user, application_id)
    document = await service.document_of(accounts_state(request).db, application.id, document_id)
    if document is None:
        raise HTTPException(404)
    return document_response(request, document)


@pages.page("staff_enquiry", ["POST"])
async def staff_enquiry(
    request: Request,
    enquiry_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: StaffToAct,
    form: PostedForm,
) -> Response:
    if not (enquiry_id.isascii() and enquiry_id.isdigit()) or len(enquiry_id) > 12:
        raise HTTPException(404)
    subject, body = trimmed(form, "subject", MAX_SUBJECT), trimmed(form, "body", MAX_BODY)
    errors = _message_errors(subject, body)
    if errors:
        return await _queue_page(
            request, visitor, language, reply_errors={int(enquiry_id): errors}, status=400
        )
    state = accounts_state(request)
    answered = await staff.answer_enquiry(
        state.db, user.id, int(enquiry_id), subject, body, _key(form), state.clock()
    )
    if not answered:
        raise HTTPException(404)
    return redirect(request, visitor, APP_PATHS["staff"][language] + "?answered=1")

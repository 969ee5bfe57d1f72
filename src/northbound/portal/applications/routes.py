"""The applicant's pages: account home, applications (draft steps, documents, review,
status tracker) — in English and French. The secure inbox and enquiries are in
``message_routes.py``."""

from __future__ import annotations

from datetime import date

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.models import User
from northbound.portal.accounts.pages import account_crumbs, redirect, render
from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, read_form
from northbound.portal.applications import messages, requests, service
from northbound.portal.applications.document_routes import requested_page
from northbound.portal.applications.fields import answer_label
from northbound.portal.applications.forms import FORMS, ApplicationForm, Step, validate_step
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.applications.models import Application, Document
from northbound.portal.applications.page_parts import (
    applications_crumbs,
    documents_page,
    owned,
    step_frame,
    step_href,
)
from northbound.portal.applications.paths import APP_PATHS, app_path
from northbound.portal.applications.tracker import stages_for
from northbound.portal.applications.uploads import FILE_KINDS
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import CurrentVisitor, SignedIn, database_pages
from northbound.web.form_fields import clipped

pages = database_pages({**APP_PATHS, "home": ACCOUNT_PATHS["home"]})
router = pages.router


def _progress(
    form: ApplicationForm,
    answers: dict[str, str],
    documents: list[Document],
    language: Language,
    application: Application,
    today: date,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for step in form.steps:
        if step.review:
            done = False
        elif step.documents:
            done = not service.missing_documents(form, documents)
        else:
            done = not validate_step(step, answers, today)[1]
        rows.append(
            {"title": step.title, "href": step_href(language, application, step), "done": done}
        )
    return rows


@pages.page("home", ["GET"])
async def account_home(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    db = accounts_state(request).db
    applications = await service.list_applications(db, user.id)
    unread = await messages.unread_count(db, user.id)
    return render(
        request,
        visitor,
        language,
        "applications/home.html",
        title="My account",
        twin_href=pages.twin(request),
        breadcrumbs=account_crumbs(language)[:1],
        applications=applications,
        forms=FORMS,
        unread=unread,
        paths=_paths(language),
        welcome=request.query_params.get("welcome") == "1",
        changed=request.query_params.get("changed") == "1",
        sent=request.query_params.get("sent") == "1",
    )


def _paths(language: Language) -> dict[str, str]:
    return {name: paths[language] for name, paths in APP_PATHS.items()}


@pages.page("list", ["GET"])
async def application_list(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    applications = await service.list_applications(accounts_state(request).db, user.id)
    return render(
        request,
        visitor,
        language,
        "applications/list.html",
        title="My applications",
        twin_href=pages.twin(request),
        breadcrumbs=account_crumbs(language),
        applications=applications,
        forms=FORMS,
        paths=_paths(language),
    )


@pages.page("new", ["GET", "POST"])
async def new_application(
    request: Request, language: PageLanguage, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    # The same page whether it is asked for or its choice is refused (then with 400).
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await read_form(request, visitor)
        kind = clipped(form, "kind", 40)
        if kind in FORMS:
            state = accounts_state(request)
            key = submission_key(form.get("idempotency_key"))
            application_id = await service.start(state.db, user.id, kind, key, state.clock())
            first = FORMS[kind].steps[0].slugs[language]
            step = app_path("step", language, application_id=application_id, step=first)
            return redirect(request, visitor, step)
        errors["kind"] = "Choose one of the options."
    return render(
        request,
        visitor,
        language,
        "applications/new.html",
        title="Start an application",
        twin_href=pages.twin(request),
        breadcrumbs=applications_crumbs(language),
        forms=FORMS,
        paths=_paths(language),
        errors=errors,
        status=400 if errors else 200,
    )


@pages.page("detail", ["GET"])
async def application_detail(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: SignedIn,
) -> Response:
    application = await owned(request, user, application_id)
    state = accounts_state(request)
    form = FORMS[application.kind]
    crumbs = applications_crumbs(language)
    twin = pages.twin(request, application_id=application.id)
    documents = await service.documents_of(state.db, application.id)
    if application.state == "draft":
        progress = _progress(
            form,
            service.answers_of(application),
            documents,
            language,
            application,
            state.clock().date(),
        )
        return render(
            request,
            visitor,
            language,
            "applications/draft.html",
            title=form.title,
            twin_href=twin,
            breadcrumbs=crumbs,
            application=application,
            form=form,
            progress=progress,
        )
    events = await service.stage_events(state.db, application.id)
    reached = {}
    for event in events:
        reached[event.stage] = event.reached_at
    stages = stages_for(application.kind)
    current = [s.key for s in stages].index(application.stage or "received")
    return render(
        request,
        visitor,
        language,
        "applications/status.html",
        title=form.title,
        twin_href=twin,
        breadcrumbs=crumbs,
        application=application,
        form=form,
        stages=stages,
        reached=reached,
        current=current,
        documents=documents,
        asked=await requests.requests_of(state.db, application.id),
        requested_href=step_href(language, application, next(s for s in form.steps if s.documents)),
        received=request.query_params.get("received") == "1",
        file_kinds=FILE_KINDS,
        just_submitted=request.query_params.get("submitted") == "1",
        document_href=lambda d: app_path(
            "document", language, application_id=application.id, document_id=d.id
        ),
    )


@pages.page("step", ["GET", "POST"])
async def application_step(
    request: Request,
    application_id: str,
    step: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: SignedIn,
) -> Response:
    application = await owned(request, user, application_id)
    form = FORMS[application.kind]
    current = form.step(step, language)
    if current is None:
        raise HTTPException(404)
    if application.state != "draft" and current.documents and request.method == "GET":
        db = accounts_state(request).db
        if requests.still_open(await requests.requests_of(db, application.id)):
            return await requested_page(request, visitor, language, application)
    # A repeated "Submit" (same key) still reaches the review handler, which replays it.
    if application.state != "draft" and not (current.review and request.method == "POST"):
        return redirect(
            request, visitor, app_path("detail", language, application_id=application.id)
        )
    if current.review:
        return await _review(request, visitor, language, user, application, form, current)
    if current.documents:
        if request.method == "POST":
            raise HTTPException(405)
        return await documents_page(request, visitor, language, application, form, current)
    values = service.answers_of(application)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        submitted = await read_form(request, visitor)
        answers = {f.name: clipped(submitted, f.name, 5000) for f in current.fields}
        clock = accounts_state(request).clock
        _, errors = await service.save_step(
            accounts_state(request).db, application, current, answers, clock()
        )
        if not errors:
            index = form.steps.index(current)
            following = form.steps[index + 1]
            return redirect(request, visitor, step_href(language, application, following))
        values, status = answers, 400
    return _render_step(
        request, visitor, language, application, form, current, values, errors, status
    )


def _render_step(
    request: Request,
    visitor: Visitor,
    language: Language,
    application: Application,
    form: ApplicationForm,
    step: Step,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    index = form.steps.index(step)
    previous = step_href(language, application, form.steps[index - 1]) if index else ""
    return render(
        request,
        visitor,
        language,
        "applications/step.html",
        **step_frame(language, application, form, step),
        action=step_href(language, application, step),
        previous=previous,
        values=values,
        errors=errors,
        status=status,
    )


async def _review(
    request: Request,
    visitor: Visitor,
    language: Language,
    user: User,
    application: Application,
    form: ApplicationForm,
    step: Step,
) -> Response:
    state = accounts_state(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        submitted = await read_form(request, visitor)
        try:
            key = submission_key(submitted.get("idempotency_key"))
            result = await service.submit(state.db, user.id, application.id, key, state.clock())
        except service.Incomplete as exc:
            errors, status = exc.errors, 400
        else:
            # The receipt page is shown only now, after the transaction committed.
            target = app_path("detail", language, application_id=result.application_id)
            return redirect(request, visitor, target + "?submitted=1")
    answers = service.answers_of(application)
    documents = await service.documents_of(state.db, application.id)
    index = form.steps.index(step)
    rows = [
        {
            "title": s.title,
            "href": step_href(language, application, s),
            "answers": [(f, answers.get(f.name, "")) for f in s.fields],
        }
        for s in form.question_steps
    ]
    return render(
        request,
        visitor,
        language,
        "applications/review.html",
        **step_frame(language, application, form, step),
        rows=rows,
        answer_label=answer_label,
        documents=documents,
        errors=errors,
        status=status,
        action=step_href(language, application, step),
        previous=step_href(language, application, form.steps[index - 1]),
    )

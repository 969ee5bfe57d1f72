"""The applicant's pages: account home, applications (draft steps, documents, review,
status tracker), the secure inbox and enquiries — in English and French."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from northbound.portal.accounts.models import User
from northbound.portal.accounts.pages import account_crumbs, redirect, render
from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, check_csrf, read_form
from northbound.portal.applications import messages, requests, service
from northbound.portal.applications.fields import answer_label
from northbound.portal.applications.forms import FORMS, ApplicationForm, Step, validate_step
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.applications.models import Application, Document
from northbound.portal.applications.paths import APP_PATHS, app_path
from northbound.portal.applications.state import document_store
from northbound.portal.applications.tracker import stages_for
from northbound.portal.applications.uploads import FILE_KINDS, ReceivedUpload, receive_upload, sniff
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import CurrentVisitor, SignedIn, SignedInToAct, database_pages
from northbound.web.form_fields import clipped
from northbound.web.i18n import gettext
from northbound.web.language import other
from northbound.web.templating import Crumb

pages = database_pages({**APP_PATHS, "home": ACCOUNT_PATHS["home"]})
router = pages.router


def _crumbs(language: Language, *extra: Crumb) -> list[Crumb]:
    return account_crumbs(
        language, Crumb(gettext(language, "My applications"), APP_PATHS["list"][language]), *extra
    )


async def _owned(request: Request, user: User, application_id: str) -> Application:
    application = await service.own_application(accounts_state(request).db, user.id, application_id)
    if application is None:
        raise HTTPException(404)
    return application


def _step_href(language: Language, application: Application, step: Step) -> str:
    return app_path("step", language, application_id=application.id, step=step.slugs[language])


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
            {"title": step.title, "href": _step_href(language, application, step), "done": done}
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
    crumbs = _crumbs(language)
    if request.method == "GET":
        return render(
            request,
            visitor,
            language,
            "applications/new.html",
            title="Start an application",
            twin_href=pages.twin(request),
            breadcrumbs=crumbs,
            forms=FORMS,
            paths=_paths(language),
        )
    form = await read_form(request, visitor)
    kind = clipped(form, "kind", 40)
    if kind not in FORMS:
        return render(
            request,
            visitor,
            language,
            "applications/new.html",
            title="Start an application",
            twin_href=pages.twin(request),
            breadcrumbs=crumbs,
            forms=FORMS,
            paths=_paths(language),
            errors={"kind": "Choose one of the options."},
            status=400,
        )
    state = accounts_state(request)
    key = submission_key(form.get("idempotency_key"))
    application_id = await service.start(state.db, user.id, kind, key, state.clock())
    first = FORMS[kind].steps[0].slugs[language]
    return redirect(
        request, visitor, app_path("step", language, application_id=application_id, step=first)
    )


@pages.page("detail", ["GET"])
async def application_detail(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: SignedIn,
) -> Response:
    application = await _owned(request, user, application_id)
    state = accounts_state(request)
    form = FORMS[application.kind]
    crumbs = _crumbs(language)
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
        requested_href=_step_href(
            language, application, next(s for s in form.steps if s.documents)
        ),
        received=request.query_params.get("received") == "1",
        file_kinds=FILE_KINDS,
        just_submitted=request.query_params.get("submitted") == "1",
        document_href=lambda d: app_path(
            "document", language, application_id=application.id, document_id=d.id
        ),
    )


@pages.page("upload", ["POST"])
async def upload_document(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: SignedInToAct,
) -> Response:
    application = await _owned(request, user, application_id)
    form = FORMS[application.kind]
    step = next(s for s in form.steps if s.documents)
    if application.state != "draft":
        return await _answer_upload(request, visitor, language, user, application)
    state = accounts_state(request)
    store = document_store(request)
    limit = state.settings.accounts.upload_max_bytes
    try:
        received = await receive_upload(request, store, limit)
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        return await _documents_page(
            request,
            visitor,
            language,
            application,
            form,
            step,
            status=413,
            errors=_too_large(language, limit),
        )
    try:
        check_csrf(request, visitor, received.fields.get("csrf_token"))
        key = submission_key(received.fields.get("idempotency_key"))
        category = received.fields.get("category", "")
        errors: dict[str, str] = {}
        if category not in {c.key for c in form.documents}:
            errors["category"] = "Choose one of the options."
        media_type = sniff(received.head)
        errors.update(await _file_errors(request, application, received, media_type))
        if errors or received.temp_path is None or media_type is None:
            return await _documents_page(
                request,
                visitor,
                language,
                application,
                form,
                step,
                errors=errors,
                status=400,
                values={"category": category},
            )
        storage_key = await store.keep(received.temp_path)
        received.temp_path = None
        result = await service.add_document(
            state.db,
            user.id,
            application.id,
            key,
            category=category,
            filename=received.filename,
            media_type=media_type,
            size=received.size,
            sha256=received.sha256,
            storage_key=storage_key,
            now=state.clock(),
        )
        if result.replayed or result.storage_key != storage_key:
            await store.delete(storage_key)  # a retry: the first copy is the one kept
    finally:
        received.discard()
    return redirect(request, visitor, _step_href(language, application, step) + "?uploaded=1")


def _too_large(language: Language, limit: int) -> dict[str, str]:
    message = gettext(language, "The file is larger than {mb} MB. Make it smaller and try again.")
    return {"file": message.format(mb=limit // 1048576)}


async def _file_errors(
    request: Request, application: Application, received: ReceivedUpload, media_type: str | None
) -> dict[str, str]:
    """What is wrong with an uploaded file, by the same rules before and after submission."""
    state = accounts_state(request)
    if received.temp_path is None or received.size == 0:
        return {"file": "Choose a file to upload."}
    if media_type is None:
        return {"file": "Upload a PDF, JPEG or PNG file. Other kinds of files are refused."}
    existing = await service.documents_of(state.db, application.id)
    if len(existing) >= state.settings.accounts.max_documents_per_application:
        return {"file": "This application already has the most documents allowed."}
    return {}


async def _answer_upload(
    request: Request,
    visitor: Visitor,
    language: Language,
    user: User,
    application: Application,
) -> Response:
    """An upload to a submitted application: only as the answer to an officer's open request."""
    state = accounts_state(request)
    # Answered requests still count here: a retry of the upload that answered one must get
    # the same answer (the service replays it by its key, or says it is answered).
    asked = await requests.requests_of(state.db, application.id)
    if not asked:
        raise HTTPException(409, "This application was already submitted.")
    store = document_store(request)
    limit = state.settings.accounts.upload_max_bytes
    try:
        received = await receive_upload(request, store, limit)
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        return await _requested_page(
            request, visitor, language, application, errors=_too_large(language, limit), status=413
        )
    try:
        check_csrf(request, visitor, received.fields.get("csrf_token"))
        key = submission_key(received.fields.get("idempotency_key"))
        chosen = received.fields.get("request", "")
        wanted = next((r for r in asked if str(r.id) == chosen), None)
        errors: dict[str, str] = {}
        if wanted is None:
            errors["request"] = "Choose one of the options."
        media_type = sniff(received.head)
        errors.update(await _file_errors(request, application, received, media_type))
        if errors or wanted is None or received.temp_path is None or media_type is None:
            return await _requested_page(
                request,
                visitor,
                language,
                application,
                errors=errors,
                status=400,
                values={"request": chosen},
            )
        storage_key = await store.keep(received.temp_path)
        received.temp_path = None
        try:
            result = await requests.answer_request(
                state.db,
                user.id,
                application.id,
                wanted.id,
                key,
                filename=received.filename,
                media_type=media_type,
                size=received.size,
                sha256=received.sha256,
                storage_key=storage_key,
                now=state.clock(),
            )
        except requests.NotRequested:
            await store.delete(storage_key)
            return await _requested_page(
                request,
                visitor,
                language,
                application,
                errors={"form": "We already have this document."},
                status=409,
            )
        if result.replayed or result.storage_key != storage_key:
            await store.delete(storage_key)  # a retry: the first copy is the one kept
    finally:
        received.discard()
    detail = app_path("detail", language, application_id=application.id)
    return redirect(request, visitor, detail + "?received=1")


async def _requested_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    application: Application,
    errors: dict[str, str] | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    """The page to send the documents an officer asked for, once the application is in."""
    state = accounts_state(request)
    form = FORMS[application.kind]
    step = next(s for s in form.steps if s.documents)
    asked = await requests.requests_of(state.db, application.id)
    return render(
        request,
        visitor,
        language,
        "applications/requested.html",
        title="Send the documents we asked for",
        twin_href=_step_href(other(language), application, step),
        breadcrumbs=_app_crumbs(language, application, form),
        application=application,
        form=form,
        open_requests=requests.still_open(asked),
        upload_action=app_path("upload", language, application_id=application.id),
        status_href=app_path("detail", language, application_id=application.id),
        max_megabytes=state.settings.accounts.upload_max_bytes // (1024 * 1024),
        errors=errors or {},
        values=values or {},
        status=status,
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
    application = await _owned(request, user, application_id)
    form = FORMS[application.kind]
    current = form.step(step, language)
    if current is None:
        raise HTTPException(404)
    if application.state != "draft" and current.documents and request.method == "GET":
        db = accounts_state(request).db
        if requests.still_open(await requests.requests_of(db, application.id)):
            return await _requested_page(request, visitor, language, application)
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
        return await _documents_page(request, visitor, language, application, form, current)
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
            return redirect(request, visitor, _step_href(language, application, following))
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
    previous = _step_href(language, application, form.steps[index - 1]) if index else ""
    return render(
        request,
        visitor,
        language,
        "applications/step.html",
        title=step.title,
        twin_href=_step_href(other(language), application, step),
        breadcrumbs=_app_crumbs(language, application, form),
        application=application,
        form=form,
        step=step,
        step_number=index + 1,
        step_count=len(form.steps),
        action=_step_href(language, application, step),
        previous=previous,
        values=values,
        errors=errors,
        status=status,
    )


def _app_crumbs(language: Language, application: Application, form: ApplicationForm) -> list[Crumb]:
    return _crumbs(
        language,
        Crumb(
            gettext(language, form.title),
            app_path("detail", language, application_id=application.id),
        ),
    )


async def _documents_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    application: Application,
    form: ApplicationForm,
    step: Step,
    errors: dict[str, str] | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    state = accounts_state(request)
    documents = await service.documents_of(state.db, application.id)
    index = form.steps.index(step)
    return render(
        request,
        visitor,
        language,
        "applications/documents.html",
        title=step.title,
        twin_href=_step_href(other(language), application, step),
        breadcrumbs=_app_crumbs(language, application, form),
        application=application,
        form=form,
        step=step,
        step_number=index + 1,
        step_count=len(form.steps),
        documents=documents,
        upload_action=app_path("upload", language, application_id=application.id),
        previous=_step_href(language, application, form.steps[index - 1]),
        following=_step_href(language, application, form.steps[index + 1]),
        max_megabytes=state.settings.accounts.upload_max_bytes // (1024 * 1024),
        document_href=lambda d: app_path(
            "document", language, application_id=application.id, document_id=d.id
        ),
        errors=errors or {},
        values=values or {},
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
            "href": _step_href(language, application, s),
            "answers": [(f, answers.get(f.name, "")) for f in s.fields],
        }
        for s in form.question_steps
    ]
    return render(
        request,
        visitor,
        language,
        "applications/review.html",
        title=step.title,
        twin_href=_step_href(other(language), application, step),
        breadcrumbs=_app_crumbs(language, application, form),
        application=application,
        form=form,
        step=step,
        step_number=index + 1,
        step_count=len(form.steps),
        rows=rows,
        answer_label=answer_label,
        documents=documents,
        errors=errors,
        status=status,
        action=_step_href(language, application, step),
        previous=_step_href(language, application, form.steps[index - 1]),
    )


@pages.page("document", ["GET"])
async def download_document(
    request: Request, application_id: str, document_id: str, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    application = await _owned(request, user, application_id)
    document = await service.document_of(accounts_state(request).db, application.id, document_id)
    if document is None:
        raise HTTPException(404)
    return document_response(request, document)


def document_response(request: Request, document: Document) -> Response:
    store = document_store(request)
    filename = quote(document.filename, safe="")
    return StreamingResponse(
        store.read(document.storage_key),
        media_type=document.media_type,
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{filename}",
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
            "content-length": str(document.size),
        },
    )


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

"""Documents of an application: uploads to a draft, the documents an officer asked for once
it is submitted, and downloads. Registered before the step pages (``wiring.py``): a POST to
``.../files`` must not be read as a step called "files"."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from northbound.portal.accounts.models import User
from northbound.portal.accounts.pages import redirect, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor, check_csrf
from northbound.portal.applications import requests, service
from northbound.portal.applications.forms import FORMS
from northbound.portal.applications.idempotency import submission_key
from northbound.portal.applications.models import Application, Document
from northbound.portal.applications.page_parts import app_crumbs, documents_page, owned, step_href
from northbound.portal.applications.paths import APP_PATHS, app_path
from northbound.portal.applications.state import document_store
from northbound.portal.applications.uploads import ReceivedUpload, receive_upload, sniff
from northbound.settings import Language
from northbound.web.bilingual import PageLanguage
from northbound.web.dependencies import CurrentVisitor, SignedIn, SignedInToAct, database_pages
from northbound.web.i18n import gettext
from northbound.web.language import other

pages = database_pages(APP_PATHS)
router = pages.router


@pages.page("upload", ["POST"])
async def upload_document(
    request: Request,
    application_id: str,
    language: PageLanguage,
    visitor: CurrentVisitor,
    user: SignedInToAct,
) -> Response:
    application = await owned(request, user, application_id)
    form = FORMS[application.kind]
    step = next(s for s in form.steps if s.documents)
    if application.state != "draft":
        return await _answer_upload(request, visitor, language, user, application)
    state = accounts_state(request)
    received = await _received(request)
    if received is None:
        too_large = _too_large(request, language)
        return await documents_page(
            request, visitor, language, application, form, step, too_large, 413
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
            values = {"category": category}
            return await documents_page(
                request, visitor, language, application, form, step, errors, 400, values
            )
        kept = await _keep(request, received, media_type)
        result = await service.add_document(
            state.db, user.id, application.id, key, category=category, file=kept, now=state.clock()
        )
        await _drop_retry_copy(request, kept, result)
    finally:
        received.discard()
    return redirect(request, visitor, step_href(language, application, step) + "?uploaded=1")


async def _received(request: Request) -> ReceivedUpload | None:
    """The posted upload, in the store's temporary place; None when it is larger than the limit
    (the caller's page then says so, :func:`_too_large`, with 413)."""
    limit = accounts_state(request).settings.accounts.upload_max_bytes
    try:
        return await receive_upload(request, document_store(request), limit)
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        return None


def _too_large(request: Request, language: Language) -> dict[str, str]:
    limit = accounts_state(request).settings.accounts.upload_max_bytes
    message = gettext(language, "The file is larger than {mb} MB. Make it smaller and try again.")
    return {"file": message.format(mb=limit // 1048576)}


async def _keep(request: Request, received: ReceivedUpload, media_type: str) -> service.KeptFile:
    """Move a checked upload from its temporary place into the document store: from here on
    ``received.discard()`` leaves it alone, and the caller records it or deletes it."""
    assert received.temp_path is not None
    storage_key = await document_store(request).keep(received.temp_path)
    received.temp_path = None
    return service.KeptFile(
        filename=received.filename,
        media_type=media_type,
        size=received.size,
        sha256=received.sha256,
        storage_key=storage_key,
    )


async def _drop_retry_copy(
    request: Request, kept: service.KeptFile, result: service.DocumentAdded
) -> None:
    """A retry (same key) records nothing new: the first attempt's copy is the one kept, and
    this attempt's copy is deleted."""
    if result.replayed or result.storage_key != kept.storage_key:
        await document_store(request).delete(kept.storage_key)


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
    received = await _received(request)
    if received is None:
        too_large = _too_large(request, language)
        return await requested_page(request, visitor, language, application, too_large, 413)
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
            return await requested_page(
                request,
                visitor,
                language,
                application,
                errors=errors,
                status=400,
                values={"request": chosen},
            )
        kept = await _keep(request, received, media_type)
        try:
            result = await requests.answer_request(
                state.db, user.id, application.id, wanted.id, key, file=kept, now=state.clock()
            )
        except requests.NotRequested:
            await document_store(request).delete(kept.storage_key)
            return await requested_page(
                request,
                visitor,
                language,
                application,
                errors={"form": "We already have this document."},
                status=409,
            )
        await _drop_retry_copy(request, kept, result)
    finally:
        received.discard()
    detail = app_path("detail", language, application_id=application.id)
    return redirect(request, visitor, detail + "?received=1")


async def requested_page(
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
        twin_href=step_href(other(language), application, step),
        breadcrumbs=app_crumbs(language, application, form),
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


@pages.page("document", ["GET"])
async def download_document(
    request: Request, application_id: str, document_id: str, visitor: CurrentVisitor, user: SignedIn
) -> Response:
    application = await owned(request, user, application_id)
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

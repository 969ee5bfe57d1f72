"""Applications: start a draft, save a step, submit exactly once, follow the status.

Every write that creates something runs through :func:`run_once`, which stores the request's
idempotency key in the same transaction as the change. Callers show a receipt only after
:func:`run_once` returns, that is, after the commit.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.forms import FORMS, ApplicationForm, Step, validate_all
from northbound.portal.applications.forms import validate_step as check_step
from northbound.portal.applications.idempotency import (
    Recorded,
    fingerprint,
    previous_result,
    remember,
)
from northbound.portal.applications.models import Application, Document, StageEvent
from northbound.portal.applications.receipts import new_receipt
from northbound.storage.database import Database

ATTEMPTS = 4
Result = TypeVar("Result", bound=Recorded)


class Incomplete(Exception):
    """The application cannot be submitted yet; ``errors`` says what is missing."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("incomplete")
        self.errors = errors


class Busy(Exception):
    """Repeated write conflicts; the caller answers 503 and the person retries (same key)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Started(Recorded):
    application_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Submitted(Recorded):
    """The receipt: shown only once the submission committed (a retry shows the same one)."""

    application_id: str
    receipt: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentAdded(Recorded):
    """``storage_key`` is the first attempt's copy: a retry's own upload is not needed."""

    document_id: str
    storage_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptFile:
    """A checked upload, already copied into the document store: what its document records,
    whether it goes to a draft or answers an officer's request."""

    filename: str
    media_type: str
    size: int
    sha256: str
    storage_key: str

    def document(self, application_id: str, category: str, now: datetime) -> Document:
        return Document(
            id=new_id(),
            application_id=application_id,
            category=category,
            filename=self.filename,
            media_type=self.media_type,
            size=self.size,
            sha256=self.sha256,
            storage_key=self.storage_key,
            created_at=now,
        )


def new_id() -> str:
    return secrets.token_hex(16)


async def run_once(
    db: Database,
    user_id: int,
    key: str,
    action: str,
    payload: Any,
    work: Callable[[AsyncSession], Awaitable[Result]],
    result_type: type[Result],
) -> Result:
    """Run ``work`` and record ``key`` in one transaction, or return the recorded result.

    A unique-constraint conflict means another attempt with the same key (or, rarely, a
    receipt number collision) committed first: start again, and the re-read finds it.
    """
    print_ = fingerprint(action, payload)
    for _ in range(ATTEMPTS):
        async with db.session() as session:
            try:
                async with session.begin():
                    prior = await previous_result(session, user_id, key, action, print_)
                    if prior is not None:
                        return result_type.replay(prior)
                    result = await work(session)
                    remember(session, user_id, key, action, print_, result.stored())
                return replace(result, replayed=False)
            except IntegrityError:
                continue
    raise Busy()


def answers_of(application: Application) -> dict[str, str]:
    try:
        loaded = json.loads(application.answers or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


async def own_application(db: Database, user_id: int, application_id: str) -> Application | None:
    """The application if it belongs to ``user_id``; anyone else's is as if it did not exist."""
    if len(application_id) != 32:
        return None
    async with db.session() as session:
        return (
            await session.execute(
                select(Application).where(
                    Application.id == application_id, Application.user_id == user_id
                )
            )
        ).scalar_one_or_none()


async def list_applications(db: Database, user_id: int) -> list[Application]:
    async with db.session() as session:
        rows = await session.execute(
            select(Application)
            .where(Application.user_id == user_id)
            .order_by(Application.created_at.desc())
        )
        return list(rows.scalars())


async def start(db: Database, user_id: int, kind: str, key: str, now: datetime) -> str:
    """Create a draft (a double click creates one, not two). Returns its id."""

    async def work(session: AsyncSession) -> Started:
        application = Application(
            id=new_id(),
            user_id=user_id,
            kind=kind,
            state="draft",
            answers="{}",
            created_at=now,
            updated_at=now,
        )
        session.add(application)
        return Started(application_id=application.id)

    result = await run_once(db, user_id, key, "start", {"kind": kind}, work, Started)
    return result.application_id


async def save_step(
    db: Database,
    application: Application,
    step: Step,
    submitted: dict[str, str],
    now: datetime,
) -> tuple[dict[str, str], dict[str, str]]:
    """Validate and store one step's answers together; (values, errors)."""
    values, errors = check_step(step, submitted, now.date())
    if errors:
        return values, errors
    merged = answers_of(application)
    for item in step.fields:
        merged.pop(item.name, None)
    merged.update(values)
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Application)
            .where(Application.id == application.id, Application.state == "draft")
            .values(answers=json.dumps(merged, sort_keys=True), updated_at=now)
        )
        if getattr(result, "rowcount", 0) != 1:
            return values, {
                "form": "This application was already submitted and can no longer be changed."
            }
    application.answers = json.dumps(merged, sort_keys=True)
    return values, {}


async def documents_of(db: Database, application_id: str) -> list[Document]:
    async with db.session() as session:
        rows = await session.execute(
            select(Document)
            .where(Document.application_id == application_id)
            .order_by(Document.created_at)
        )
        return list(rows.scalars())


def missing_documents(form: ApplicationForm, documents: list[Document]) -> dict[str, str]:
    present = {d.category for d in documents}
    return {
        f"document_{c.key}": "Upload this required document before you submit."
        for c in form.documents
        if c.required and c.key not in present
    }


async def _mark_submitted(
    session: AsyncSession, application: Application, form: ApplicationForm, now: datetime
) -> Submitted:
    receipt = new_receipt(form.receipt_prefix)
    changed = await session.execute(
        update(Application)
        .where(Application.id == application.id, Application.state == "draft")
        .values(
            state="submitted",
            stage="received",
            receipt_number=receipt,
            submitted_at=now,
            updated_at=now,
        )
    )
    if getattr(changed, "rowcount", 0) != 1:
        # Submitted a moment ago under another key: answer with that receipt.
        existing = (
            await session.execute(
                select(Application.receipt_number).where(Application.id == application.id)
            )
        ).scalar_one()
        return Submitted(application_id=application.id, receipt=existing)
    session.add(StageEvent(application_id=application.id, stage="received", reached_at=now))
    return Submitted(application_id=application.id, receipt=receipt)


async def submit(
    db: Database, user_id: int, application_id: str, key: str, now: datetime
) -> Submitted:
    """Submit a draft. Raises :class:`Incomplete` with what is missing."""

    async def work(session: AsyncSession) -> Submitted:
        application = (
            await session.execute(
                select(Application).where(
                    Application.id == application_id, Application.user_id == user_id
                )
            )
        ).scalar_one()
        if application.state != "draft":
            return Submitted(application_id=application.id, receipt=application.receipt_number)
        form = FORMS[application.kind]
        _, errors = validate_all(form, answers_of(application), now.date())
        documents = (
            await session.execute(select(Document).where(Document.application_id == application.id))
        ).scalars()
        errors.update(missing_documents(form, list(documents)))
        if errors:
            raise Incomplete(errors)
        return await _mark_submitted(session, application, form, now)

    return await run_once(
        db, user_id, key, "submit", {"application": application_id}, work, Submitted
    )


async def submit_complete(
    db: Database, user_id: int, kind: str, answers: dict[str, str], key: str, now: datetime
) -> Submitted:
    """Create and submit in one transaction (the JSON API). Raises :class:`Incomplete`."""
    form = FORMS[kind]
    values, errors = validate_all(form, answers, now.date())
    errors.update(missing_documents(form, []))
    if errors:
        raise Incomplete(errors)

    async def work(session: AsyncSession) -> Submitted:
        application = Application(
            id=new_id(),
            user_id=user_id,
            kind=kind,
            state="draft",
            answers=json.dumps(values, sort_keys=True),
            created_at=now,
            updated_at=now,
        )
        session.add(application)
        await session.flush()
        return await _mark_submitted(session, application, form, now)

    return await run_once(
        db, user_id, key, "submit_new", {"kind": kind, "answers": answers}, work, Submitted
    )


async def stage_events(db: Database, application_id: str) -> list[StageEvent]:
    async with db.session() as session:
        rows = await session.execute(
            select(StageEvent)
            .where(StageEvent.application_id == application_id)
            .order_by(StageEvent.reached_at, StageEvent.id)
        )
        return list(rows.scalars())


class NotDraft(Exception):
    """The application was submitted; its documents can no longer change."""


async def add_document(
    db: Database,
    user_id: int,
    application_id: str,
    key: str,
    *,
    category: str,
    file: KeptFile,
    now: datetime,
) -> DocumentAdded:
    async def work(session: AsyncSession) -> DocumentAdded:
        draft = (
            await session.execute(
                select(Application.id).where(
                    Application.id == application_id,
                    Application.user_id == user_id,
                    Application.state == "draft",
                )
            )
        ).scalar_one_or_none()
        if draft is None:
            raise NotDraft()
        document = file.document(application_id, category, now)
        session.add(document)
        return DocumentAdded(document_id=document.id, storage_key=file.storage_key)

    payload = {"application": application_id, "category": category, "sha256": file.sha256}
    return await run_once(db, user_id, key, "upload", payload, work, DocumentAdded)


async def document_of(db: Database, application_id: str, document_id: str) -> Document | None:
    if len(document_id) != 32:
        return None
    async with db.session() as session:
        return (
            await session.execute(
                select(Document).where(
                    Document.id == document_id, Document.application_id == application_id
                )
            )
        ).scalar_one_or_none()

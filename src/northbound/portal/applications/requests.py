"""Documents an officer asks for after submission, and the uploads that answer them.

A submitted application is read-only to its applicant, with one exception: a document an
officer asked for. Asking writes the request, the audit row and the applicant's inbox message
in one transaction; answering stores the document and marks the request answered in one
transaction, so a request is never answered by a document that was not kept, and a document
never lands on a submitted application without a request to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.idempotency import Recorded
from northbound.portal.applications.messages import add_message
from northbound.portal.applications.models import (
    Application,
    DocumentRequest,
    StaffViewAudit,
)
from northbound.portal.applications.service import DocumentAdded, KeptFile, run_once
from northbound.storage.database import Database

MAX_NOTE = 400


class NotRequested(Exception):
    """No open request of this application matches: nobody asked, or it was answered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentAsked(Recorded):
    request_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """The inbox message that tells the applicant what is asked, in their language."""

    subject: str
    body: str


def note_errors(note: str) -> dict[str, str]:
    if len(note) > MAX_NOTE:
        return {"note": "Use 400 characters or fewer."}
    if any(ord(c) < 32 and c not in "\r\n\t" for c in note):
        return {"note": "This answer is too long or contains special characters."}
    return {}


async def ask_for_document(
    db: Database,
    staff_id: int,
    application: Application,
    category: str,
    note: str,
    key: str,
    now: datetime,
    notice: Notice,
) -> int:
    """Ask the applicant for a document of ``category``; the request's id."""

    async def work(session: AsyncSession) -> DocumentAsked:
        request = DocumentRequest(
            application_id=application.id,
            category=category,
            note=note,
            requested_by=staff_id,
            requested_at=now,
        )
        session.add(request)
        await session.flush()
        session.add(
            StaffViewAudit(
                staff_user_id=staff_id,
                application_id=application.id,
                action=f"request:{category}"[:32],
                detail=note[:400] or None,
                at=now,
            )
        )
        add_message(
            session,
            user_id=application.user_id,
            subject=notice.subject,
            body=notice.body,
            now=now,
            sender_id=staff_id,
            application_id=application.id,
        )
        return DocumentAsked(request_id=request.id)

    payload = {"application": application.id, "category": category, "note": note}
    result = await run_once(db, staff_id, key, "ask_document", payload, work, DocumentAsked)
    return result.request_id


async def requests_of(db: Database, application_id: str) -> list[DocumentRequest]:
    """Every request made on an application, oldest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(DocumentRequest)
            .where(DocumentRequest.application_id == application_id)
            .order_by(DocumentRequest.requested_at, DocumentRequest.id)
        )
        return list(rows.scalars())


def still_open(requests: list[DocumentRequest]) -> list[DocumentRequest]:
    return [r for r in requests if r.answered_at is None]


async def answer_request(
    db: Database,
    user_id: int,
    application_id: str,
    request_id: int,
    key: str,
    *,
    file: KeptFile,
    now: datetime,
) -> DocumentAdded:
    """Keep the uploaded document as the answer to one open request (raises
    :class:`NotRequested` when there is no such open request on the applicant's own
    submitted application)."""

    async def work(session: AsyncSession) -> DocumentAdded:
        category = (
            await session.execute(
                select(DocumentRequest.category)
                .join(Application, Application.id == DocumentRequest.application_id)
                .where(
                    DocumentRequest.id == request_id,
                    DocumentRequest.application_id == application_id,
                    DocumentRequest.answered_at.is_(None),
                    Application.user_id == user_id,
                    Application.state == "submitted",
                )
            )
        ).scalar_one_or_none()
        if category is None:
            raise NotRequested()
        document = file.document(application_id, category, now)
        session.add(document)
        await session.flush()
        answered = await session.execute(
            update(DocumentRequest)
            .where(DocumentRequest.id == request_id, DocumentRequest.answered_at.is_(None))
            .values(document_id=document.id, answered_at=now)
        )
        if getattr(answered, "rowcount", 0) != 1:
            raise NotRequested()  # answered a moment ago under another key: nothing kept
        return DocumentAdded(document_id=document.id, storage_key=file.storage_key)

    payload = {"application": application_id, "request": request_id, "sha256": file.sha256}
    return await run_once(db, user_id, key, "answer_request", payload, work, DocumentAdded)

"""Staff tools: find applications, move them along the tracker, write to applicants.

Every look at an application and every change is written to the audit table (who, which
application, when) in the same transaction as the change it describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northbound.portal.applications.forms import FORMS
from northbound.portal.applications.idempotency import Recorded
from northbound.portal.applications.messages import add_message
from northbound.portal.applications.models import (
    Application,
    Enquiry,
    StaffViewAudit,
    StageEvent,
)
from northbound.portal.applications.service import run_once
from northbound.portal.applications.tracker import stage_keys, stage_title
from northbound.storage.database import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class StageMoved(Recorded):
    stage: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSent(Recorded):
    sent: bool  # the name earlier records were kept under


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquiryAnswered(Recorded):
    answered: int  # the enquiry's id


async def submitted_applications(db: Database, limit: int = 200) -> list[Application]:
    async with db.session() as session:
        rows = await session.execute(
            select(Application)
            .where(Application.state == "submitted")
            .order_by(Application.submitted_at)
            .limit(limit)
        )
        return list(rows.scalars())


async def view_application(
    db: Database, staff_id: int, application_id: str, now: datetime
) -> Application | None:
    """Load a submitted application for a staff member, writing the audit row first."""
    if len(application_id) != 32:
        return None
    async with db.session() as session, session.begin():
        application = (
            await session.execute(
                select(Application).where(
                    Application.id == application_id, Application.state == "submitted"
                )
            )
        ).scalar_one_or_none()
        if application is None:
            return None
        session.add(
            StaffViewAudit(
                staff_user_id=staff_id, application_id=application_id, action="view", at=now
            )
        )
        return application


async def audit_trail(db: Database, application_id: str) -> list[StaffViewAudit]:
    async with db.session() as session:
        rows = await session.execute(
            select(StaffViewAudit)
            .where(StaffViewAudit.application_id == application_id)
            .order_by(StaffViewAudit.id.desc())
            .limit(100)
        )
        return list(rows.scalars())


async def move_to_stage(
    db: Database,
    staff_id: int,
    application: Application,
    stage: str,
    key: str,
    now: datetime,
    notice_subject: str,
    notice_body: str,
) -> bool:
    """Move to ``stage`` (any stage of this kind's tracker); False if the stage is unknown."""
    if stage not in stage_keys(application.kind):
        return False

    async def work(session: AsyncSession) -> StageMoved:
        await session.execute(
            update(Application)
            .where(Application.id == application.id)
            .values(stage=stage, updated_at=now)
        )
        session.add(
            StageEvent(
                application_id=application.id, stage=stage, reached_at=now, staff_user_id=staff_id
            )
        )
        session.add(
            StaffViewAudit(
                staff_user_id=staff_id,
                application_id=application.id,
                action=f"stage:{stage}"[:32],
                at=now,
            )
        )
        add_message(
            session,
            user_id=application.user_id,
            subject=notice_subject,
            body=notice_body,
            now=now,
            sender_id=staff_id,
            application_id=application.id,
        )
        return StageMoved(stage=stage)

    await run_once(
        db,
        staff_id,
        key,
        "stage",
        {"application": application.id, "stage": stage},
        work,
        StageMoved,
    )
    return True


async def write_to_applicant(
    db: Database,
    staff_id: int,
    application: Application,
    subject: str,
    body: str,
    key: str,
    now: datetime,
) -> None:
    async def work(session: AsyncSession) -> MessageSent:
        add_message(
            session,
            user_id=application.user_id,
            subject=subject,
            body=body,
            now=now,
            sender_id=staff_id,
            application_id=application.id,
        )
        session.add(
            StaffViewAudit(
                staff_user_id=staff_id, application_id=application.id, action="message", at=now
            )
        )
        return MessageSent(sent=True)

    await run_once(
        db,
        staff_id,
        key,
        "message",
        {"application": application.id, "subject": subject, "body": body},
        work,
        MessageSent,
    )


async def answer_enquiry(
    db: Database,
    staff_id: int,
    enquiry_id: int,
    subject: str,
    body: str,
    key: str,
    now: datetime,
) -> bool:
    async with db.session() as session:
        enquiry = await session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return False

    async def work(session: AsyncSession) -> EnquiryAnswered:
        add_message(
            session,
            user_id=enquiry.user_id,
            subject=subject,
            body=body,
            now=now,
            sender_id=staff_id,
            enquiry_id=enquiry.id,
            application_id=enquiry.application_id,
        )
        await session.execute(
            update(Enquiry).where(Enquiry.id == enquiry.id).values(state="answered")
        )
        return EnquiryAnswered(answered=enquiry.id)

    await run_once(
        db, staff_id, key, "answer", {"enquiry": enquiry_id, "body": body}, work, EnquiryAnswered
    )
    return True


AUDIT_ACTIONS: dict[str, str] = {
    "view": "Opened the application",
    "message": "Wrote to the applicant",
    "stage": "Moved to a stage",
    "request": "Asked for a document",
}
"""What each audited action (the code before any ``:``) reads as on the staff pages."""


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit row's action as staff read it (English; pages translate both parts)."""

    action: str
    subject: str = ""  # the stage moved to, the kind of document asked for


def audit_line(action: str, kind: str) -> AuditLine:
    code, _, argument = action.partition(":")
    label = AUDIT_ACTIONS.get(code, action)
    if code == "stage":
        return AuditLine(label, stage_title(kind, argument))
    if code == "request":
        return AuditLine(label, FORMS[kind].document_title(argument))
    return AuditLine(label)

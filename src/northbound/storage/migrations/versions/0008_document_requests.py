"""documents an officer asks for after submission

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

A submitted application is read-only, except for what an officer asks for: each request names
a kind of document and, once the applicant has sent it, the document that answered it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("note", sa.String(400), nullable=False, server_default=""),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.String(32), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            ondelete="CASCADE",
            name=op.f("fk_document_request_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["account_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_document_request_requested_by_account_user"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["application_document.id"],
            ondelete="SET NULL",
            name=op.f("fk_document_request_document_id_application_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_request")),
    )
    op.create_index(
        op.f("ix_document_request_application_id"), "document_request", ["application_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_document_request_application_id"), table_name="document_request")
    op.drop_table("document_request")

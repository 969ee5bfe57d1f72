"""messages from the contact form (no account needed)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

The form's idempotency key is a unique column of the message itself: there is no account to
hang an idempotency record on, and one row holding both makes "stored once per key" one write.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("file_number", sa.String(32), nullable=False, server_default=""),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["account_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_contact_request_answered_by_account_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_contact_request_reference")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_contact_request_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("contact_request")

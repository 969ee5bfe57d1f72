"""processing-time estimates staff publish

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

One row per type of application and, where the estimate depends on it, per country (the empty
string where it does not, so the unique constraint holds on SQLite and PostgreSQL alike).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processing_estimate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_type", sa.String(32), nullable=False),
        sa.Column("country", sa.String(2), nullable=False, server_default=""),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_estimate")),
        sa.UniqueConstraint(
            "application_type", "country", name=op.f("uq_processing_estimate_application_type")
        ),
    )


def downgrade() -> None:
    op.drop_table("processing_estimate")

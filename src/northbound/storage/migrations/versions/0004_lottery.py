"""parents and grandparents lottery: intakes, forms, refusals, flags, invitations, audit

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _intake_fk(table: str) -> sa.ForeignKeyConstraint:
    return _fk(table, "intake_id", "lottery_intake")


def upgrade() -> None:
    op.create_table(
        "lottery_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("opens_at"),
        _when("closes_at"),
        sa.Column("invitation_target", sa.Integer(), nullable=False),
        sa.Column("application_cap", sa.Integer(), nullable=False),
        sa.Column("notice_en", sa.Text(), nullable=False),
        sa.Column("notice_fr", sa.Text(), nullable=False),
        sa.Column("seed_hex", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        _when("closed_at", nullable=True),
        _when("list_published_at", nullable=True),
        sa.Column("list_digest", sa.String(64), nullable=True),
        _when("seed_revealed_at", nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_intake")),
    )
    op.create_table(
        "lottery_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("confirmation", sa.String(20), nullable=False),
        sa.Column("identity_key", sa.String(64), nullable=False),
        sa.Column("document_key", sa.String(64), nullable=False),
        sa.Column("family_name", sa.String(60), nullable=False),
        sa.Column("given_names", sa.String(80), nullable=False),
        sa.Column("date_of_birth", sa.String(10), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("address", sa.String(120), nullable=False),
        sa.Column("postal_code", sa.String(7), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("removed_reason", sa.String(200), nullable=True),
        _when("created_at"),
        _intake_fk("lottery_entry"),
        _fk("lottery_entry", "user_id", "account_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_entry")),
        sa.UniqueConstraint("confirmation", name=op.f("uq_lottery_entry_confirmation")),
        sa.UniqueConstraint("intake_id", "user_id", name="uq_lottery_entry_intake_user"),
        sa.UniqueConstraint("intake_id", "identity_key", name="uq_lottery_entry_intake_identity"),
        sa.UniqueConstraint("intake_id", "document_key", name="uq_lottery_entry_intake_document"),
    )
    op.create_index(op.f("ix_lottery_entry_intake_id"), "lottery_entry", ["intake_id"])
    op.create_table(
        "lottery_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        _when("at"),
        _intake_fk("lottery_refusal"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_refusal")),
    )
    op.create_index(op.f("ix_lottery_refusal_intake_id"), "lottery_refusal", ["intake_id"])
    op.create_table(
        "lottery_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("first_entry_id", sa.Integer(), nullable=False),
        sa.Column("second_entry_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        _when("decided_at", nullable=True),
        _intake_fk("lottery_flag"),
        _fk("lottery_flag", "first_entry_id", "lottery_entry"),
        _fk("lottery_flag", "second_entry_id", "lottery_entry"),
        _fk("lottery_flag", "decided_by", "account_user", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_flag")),
        sa.UniqueConstraint("first_entry_id", "second_entry_id", name="uq_lottery_flag_pair"),
    )
    op.create_index(op.f("ix_lottery_flag_intake_id"), "lottery_flag", ["intake_id"])
    op.create_table(
        "lottery_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("place", sa.Integer(), nullable=False),
        _when("invited_at"),
        _when("deadline"),
        _intake_fk("lottery_invitation"),
        _fk("lottery_invitation", "entry_id", "lottery_entry"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_invitation")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_lottery_invitation_entry_id")),
    )
    op.create_index(op.f("ix_lottery_invitation_intake_id"), "lottery_invitation", ["intake_id"])
    op.create_table(
        "lottery_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        _when("at"),
        _intake_fk("lottery_audit"),
        _fk("lottery_audit", "staff_user_id", "account_user", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_audit")),
    )
    op.create_index(op.f("ix_lottery_audit_intake_id"), "lottery_audit", ["intake_id"])


def downgrade() -> None:
    for table in (
        "lottery_audit",
        "lottery_invitation",
        "lottery_flag",
        "lottery_refusal",
        "lottery_entry",
        "lottery_intake",
    ):
        op.drop_table(table)

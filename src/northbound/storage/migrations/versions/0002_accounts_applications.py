"""accounts, sessions, outbox, applications, documents, enquiries, inbox, staff audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(name: str, table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [name],
        ["account_user.id"],
        name=op.f(f"fk_{table}_{name}_account_user"),
        ondelete=ondelete,
    )


def _application_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["application_id"],
        ["application.id"],
        name=op.f(f"fk_{table}_application_id_application"),
        ondelete=ondelete,
    )


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "account_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        _when("email_verified_at", nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        _when("locked_until", nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_user")),
        sa.UniqueConstraint("email", name=op.f("uq_account_user_email")),
    )
    op.create_table(
        "account_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("last_seen_at"),
        _when("expires_at"),
        _user_fk("user_id", "account_session"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_session")),
    )
    _index("account_session", "user_id")
    op.create_table(
        "account_token",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        _when("expires_at"),
        _when("used_at", nullable=True),
        _user_fk("user_id", "account_token"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
    )
    _index("account_token", "user_id")
    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        _when("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mail")),
    )
    _index("outbox_mail", "sent_at")
    op.create_table(
        "application",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(32), nullable=True),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("receipt_number", sa.String(32), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        _when("submitted_at", nullable=True),
        _user_fk("user_id", "application"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_application_receipt_number")),
    )
    _index("application", "user_id")
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        _when("created_at"),
        _user_fk("user_id", "idempotency_record"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_record_user_key"),
    )
    op.create_table(
        "application_document",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(128), nullable=False),
        _when("created_at"),
        _application_fk("application_document"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_document")),
    )
    _index("application_document", "application_id")
    op.create_table(
        "application_stage_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        _when("reached_at"),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        _application_fk("application_stage_event"),
        _user_fk("staff_user_id", "application_stage_event", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_stage_event")),
    )
    _index("application_stage_event", "application_id")
    op.create_table(
        "enquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _when("created_at"),
        _application_fk("enquiry", "SET NULL"),
        _user_fk("user_id", "enquiry"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enquiry")),
        sa.UniqueConstraint("reference", name=op.f("uq_enquiry_reference")),
    )
    _index("enquiry", "user_id")
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=True),
        sa.Column("enquiry_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        _when("read_at", nullable=True),
        _application_fk("inbox_message"),
        sa.ForeignKeyConstraint(
            ["enquiry_id"],
            ["enquiry.id"],
            name=op.f("fk_inbox_message_enquiry_id_enquiry"),
            ondelete="CASCADE",
        ),
        _user_fk("sender_id", "inbox_message", "SET NULL"),
        _user_fk("user_id", "inbox_message"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_message")),
    )
    _index("inbox_message", "user_id")
    op.create_table(
        "staff_view_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        _when("at"),
        _application_fk("staff_view_audit"),
        _user_fk("staff_user_id", "staff_view_audit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_view_audit")),
    )
    _index("staff_view_audit", "application_id", "staff_user_id")


def downgrade() -> None:
    for table in (
        "staff_view_audit",
        "inbox_message",
        "enquiry",
        "application_stage_event",
        "application_document",
        "idempotency_record",
        "application",
        "outbox_mail",
        "account_token",
        "account_session",
        "account_user",
    ):
        op.drop_table(table)

"""staff audit rows for operator actions: no application, and what was done

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The operator's console (``/staff/console``) writes every control action to the same audit
table as the staff tools. Those actions concern the site, not one application, so the
application becomes optional and a short ``detail`` says what changed (e.g. the new cap).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_view_audit") as batch:
        batch.alter_column("application_id", existing_type=sa.String(32), nullable=True)
        batch.add_column(sa.Column("detail", sa.String(400), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM staff_view_audit WHERE application_id IS NULL")
    with op.batch_alter_table("staff_view_audit") as batch:
        batch.drop_column("detail")
        batch.alter_column("application_id", existing_type=sa.String(32), nullable=False)

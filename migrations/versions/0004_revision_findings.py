"""revision findings: moderation and PII results stored with each revision (issue 9)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows were never checked: an empty list, not a claim that they are clean.
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("findings", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("findings")

"""issue 10: one active singleton job per (course, kind)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "singleton AND status IN ('queued', 'running')"


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("singleton", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Jobs created before this revision may hold duplicates: keep the newest active one of
    # each (course, kind) and end the others, so the unique index can be built.
    op.execute(
        "UPDATE jobs SET status = 'canceled', error_code = 'E.JOB.CANCELED', "
        "error_detail = 'duplicate of a newer job (migration 0002)' "
        "WHERE status IN ('queued', 'running') AND course_id IS NOT NULL "
        "AND kind IN ('outline', 'lessons', 'slides', 'course') "
        "AND id < (SELECT MAX(j2.id) FROM jobs j2 WHERE j2.course_id = jobs.course_id "
        "AND j2.kind = jobs.kind AND j2.status IN ('queued', 'running'))"
    )
    op.execute(
        "UPDATE jobs SET singleton = true WHERE course_id IS NOT NULL "
        "AND kind IN ('outline', 'lessons', 'slides', 'course')"
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("singleton", server_default=None)
    op.create_index(
        "uq_jobs_active_course_kind",
        "jobs",
        ["course_id", "kind"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_active_course_kind", table_name="jobs")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("singleton")

"""issue 18: explicit, exact invalidation for page caches.

Every flush that adds, changes or deletes a row of the course tree (courses, modules,
lessons, slides, revisions) marks that course; just before the transaction commits, the
course's counter in cache_versions is bumped in the same transaction, so a reader that
sees the new counter sees the new rows. Bulk UPDATE/DELETE statements on those tables,
whose rows are not known, bump the "all" counter. Pages cache their reads keyed by
``versions(course_id)`` (ui/data.py): a cached value is never served after a write.

It lives at the ORM session level, not in each service, so no write path can forget it;
workers in other processes bump the same rows, so the app sees their writes too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, col, select

from core.models import CacheVersion, Course, Lesson, Module, Revision, SlideRow

TREE_TABLES = frozenset({"courses", "modules", "lessons", "slides", "revisions"})
ALL = "all"
_DIRTY = "cache_dirty_scopes"
_LESSONS = "cache_dirty_lessons"


def course_scope(course_id: int) -> str:
    return f"course:{course_id}"


def versions(session: Session, course_id: int) -> tuple[int, int]:
    """(the course's counter, the bulk counter): the cache key of anything read from its tree."""
    rows = dict(
        session.exec(
            select(CacheVersion.scope, CacheVersion.version).where(
                col(CacheVersion.scope).in_([course_scope(course_id), ALL])
            )
        ).all()
    )
    return int(rows.get(course_scope(course_id), 0)), int(rows.get(ALL, 0))


def _mark(session: Session, obj: Any) -> None:
    scopes: set[str] = session.info.setdefault(_DIRTY, set())
    if isinstance(obj, Course):
        if obj.id is not None:
            scopes.add(course_scope(obj.id))
    elif isinstance(obj, Module | Lesson | Revision):
        if obj.course_id is not None:
            scopes.add(course_scope(obj.course_id))
    elif isinstance(obj, SlideRow):
        session.info.setdefault(_LESSONS, set()).add(obj.lesson_id)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if (
            session.is_modified(obj, include_collections=False)
            or obj in session.new
            or obj in session.deleted
        ):
            _mark(session, obj)


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in TREE_TABLES:
        state.session.info.setdefault(_DIRTY, set()).add(ALL)


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    session.flush()  # commit flushes after this event: collect what that flush writes
    scopes: set[str] = session.info.pop(_DIRTY, set())
    lessons: set[int] = session.info.pop(_LESSONS, set())
    if lessons:
        found = session.exec(select(Lesson.course_id).where(col(Lesson.id).in_(sorted(lessons)))).all()
        scopes |= {course_scope(int(c)) for c in found}
    if not scopes:
        return
    conn = session.connection()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    # Sorted: two transactions bumping the same courses lock their rows in one order.
    for scope in sorted(scopes):
        stmt = insert(CacheVersion.__table__).values(scope=scope, version=1)  # type: ignore[attr-defined]
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["scope"],
                set_={"version": CacheVersion.__table__.c.version + 1},  # type: ignore[attr-defined]
            )
        )


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DIRTY, None)
    session.info.pop(_LESSONS, None)

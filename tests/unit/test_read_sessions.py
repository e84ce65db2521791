"""Reads never wait for a writer (issue 11): read sessions skip SQLite's write lock and
refuse writes; units of work take the lock when they begin."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from core.db import ReadOnlySession, dispose_engines, read_session, unit_of_work
from core.models import Course
from core.settings import reset_settings


def _course() -> int:
    with unit_of_work() as session:
        course = Course(title="Reads", params={})
        session.add(course)
        session.flush()
        return int(course.id or 0)


@pytest.mark.parametrize(
    "write",
    [
        lambda s, cid: s.add(Course(title="new", params={})),
        lambda s, cid: setattr(s.get(Course, cid), "title", "changed"),
        lambda s, cid: s.execute(update(Course).values(title="changed")),
        lambda s, cid: s.delete(s.get(Course, cid)),
    ],
    ids=["add", "change", "update-statement", "delete"],
)
def test_a_read_session_refuses_every_kind_of_write(any_db: str, write) -> None:
    course_id = _course()
    with pytest.raises(ReadOnlySession), read_session() as session:
        write(session, course_id)
    with read_session() as session:
        course = session.get(Course, course_id)
        assert course is not None and course.title == "Reads"


def test_reading_does_not_count_as_writing(any_db: str) -> None:
    course_id = _course()
    with read_session() as session:
        course = session.get(Course, course_id)
        assert course is not None
        course.title = course.title  # touched, unchanged
    with unit_of_work() as session:
        assert session.get(Course, course_id) is not None


def _hold_write_lock(holding: threading.Event, release: threading.Event, course_id: int) -> None:
    with unit_of_work() as session:
        course = session.get(Course, course_id)
        assert course is not None
        course.title = "being written"
        session.flush()
        holding.set()
        release.wait(30)


def test_on_sqlite_a_read_goes_through_while_a_writer_holds_the_lock(db: str, monkeypatch) -> None:
    course_id = _course()
    # The shortest busy timeout allowed: a session that needs the write lock gives up
    # after it instead of waiting the default 10 s.
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_MS", "5000")
    reset_settings()
    dispose_engines()
    holding, release = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(holding, release, course_id))
    writer.start()
    try:
        assert holding.wait(30)
        with read_session() as session:  # the writer still holds the lock here
            course = session.get(Course, course_id)
            assert course is not None and course.title == "Reads"  # the last committed state
        assert not release.is_set() and writer.is_alive()
        # the same read in a unit of work would have queued behind the writer
        with pytest.raises(OperationalError, match="locked"), unit_of_work() as session:
            session.get(Course, course_id)
    finally:
        release.set()
        writer.join(30)
    with read_session() as session:
        course = session.get(Course, course_id)
        assert course is not None and course.title == "being written"

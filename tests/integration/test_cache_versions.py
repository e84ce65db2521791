"""issue 18: every write to a course tree bumps that course's cache counter in its own
transaction (core/cache_versions.py), on SQLite and PostgreSQL, with real threads."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import col, update

from core.cache_versions import versions
from core.db import session_scope
from core.models import Lesson, SlideRow
from core.services import courses as course_svc
from core.services.revisions import save_edit
from tests.actors import ADMIN
from tests.factories import make_course


def _course(**kwargs: int) -> int:
    with session_scope() as session:
        return make_course(session, **kwargs)


def _versions(course_id: int) -> tuple[int, int]:
    with session_scope(readonly=True) as session:
        return versions(session, course_id)


def _first_lesson(course_id: int) -> Lesson:
    with session_scope(readonly=True) as session:
        return course_svc.lessons_of(session, course_id)[0]


def test_a_write_bumps_its_course_only_and_a_read_bumps_nothing(any_db: str) -> None:
    one, two = _course(modules=1, lessons=2), _course(modules=1, lessons=1)
    before_one, before_two = _versions(one), _versions(two)
    with session_scope() as session:
        course_svc.load_course(session, one)  # a read in a writing session
    assert _versions(one) == before_one

    lesson = _first_lesson(one)
    with session_scope() as session:
        save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content={"title": lesson.title, "body_md": "# New text\n\nChanged by hand."},
            expected_version=lesson.version,
            actor=ADMIN,
        )
    assert _versions(one)[0] > before_one[0]
    assert _versions(two) == before_two


def test_slides_reach_their_course_through_the_lesson(any_db: str) -> None:
    course_id = _course(modules=1, lessons=1, slides=2)
    before = _versions(course_id)
    lesson = _first_lesson(course_id)
    with session_scope() as session:
        session.add(SlideRow(lesson_id=int(lesson.id or 0), position=9, title="Extra", bullets=["one"]))
    assert _versions(course_id)[0] == before[0] + 1


def test_a_bulk_statement_bumps_the_shared_counter(any_db: str) -> None:
    course_id = _course(modules=1, lessons=1)
    before = _versions(course_id)
    with session_scope() as session:
        session.exec(update(Lesson).where(col(Lesson.course_id) == course_id).values(locked=True))  # type: ignore[call-overload]
    after = _versions(course_id)
    assert after[1] == before[1] + 1


def test_a_rolled_back_write_bumps_nothing(any_db: str) -> None:
    course_id = _course(modules=1, lessons=1)
    before = _versions(course_id)
    with pytest.raises(RuntimeError), session_scope() as session:
        course_svc.add_module(session, actor=ADMIN, course_id=course_id, title="Never kept")
        raise RuntimeError("the caller fails after the write")
    assert _versions(course_id) == before
    with session_scope() as session:
        course_svc.add_module(session, actor=ADMIN, course_id=course_id, title="Kept")
    assert _versions(course_id)[0] == before[0] + 1


def test_concurrent_writers_of_one_course_each_bump_once(any_db: str) -> None:
    course_id = _course(modules=2, lessons=4)
    with session_scope(readonly=True) as session:
        module_ids = [int(m.id or 0) for m in course_svc.modules_of(session, course_id)]
    before = _versions(course_id)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        start.wait()
        try:
            for i in range(3):
                with session_scope() as session:
                    course_svc.add_lesson(
                        session, actor=ADMIN, module_id=module_ids[n % 2], title=f"Added {n}-{i}"
                    )
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _versions(course_id)[0] == before[0] + 24

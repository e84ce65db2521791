"""issue 17: the Sources step (paste, refusals in the person's language, facts and text)
and the lesson editor's citations beside their passages."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.jobs import start_job, wait_for
from core.models import JobStatus
from core.schemas import CourseParams
from core.services import generation
from core.services import sources as source_svc
from core.services.courses import create_course
from tests import source_files as sf
from tests.actors import ADMIN
from tests.app.conftest import open_page, texts


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_paste_a_source_and_see_its_text_and_refusals(db: str, lang: str) -> None:
    params = CourseParams(topic="Handbook", module_count=1, lessons_per_module=2, total_duration_minutes=30)
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
    at = open_page("sources", course_id=course_id, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert ("Источники" if lang == "ru" else "Sources") in shown
    # An empty paste is refused in the person's language, and nothing is stored.
    at.button(key="sources-paste-add").click().run()
    warning = " ".join(w.value for w in at.warning)
    assert ("Ничего не сохранено" if lang == "ru" else "Nothing was stored") in warning
    with session_scope() as session:
        assert not source_svc.list_sources(session, course_id)
    at.text_input(key=f"sources-{course_id}-paste-title").input("Handbook")
    at.text_area(key=f"sources-{course_id}-paste-text").input(sf.markdown().decode()).run()
    at.button(key="sources-paste-add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "**Handbook\\.md**" in shown  # the name, escaped as user text
    assert ("фрагментов: 4" if lang == "ru" else "passages: 4") in shown
    assert "28 calendar days of paid annual leave" in shown  # the extracted text
    assert any(b.key == "sources-propose" for b in at.button)


def test_lesson_editor_shows_citations_beside_passages(db: str) -> None:
    params = CourseParams(topic="Handbook", module_count=1, lessons_per_module=2, total_duration_minutes=30)
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        source_svc.add_source(
            session, actor=ADMIN, course_id=course_id, filename="handbook.docx", data=sf.docx()
        )
    job = wait_for(
        int(start_job(actor=ADMIN, kind=generation.KIND_COURSE, course_id=course_id).id or 0), timeout=60
    )
    assert job.status == JobStatus.succeeded, job.error_detail
    at = open_page("lessons", course_id=course_id, lang="ru")
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "Источники этого урока" in shown
    assert "handbook\\.docx" in shown
    assert "Использовано уроками:" in shown


def test_sources_step_shows_what_the_lessons_use(db: str) -> None:
    params = CourseParams(topic="Handbook", module_count=1, lessons_per_module=1, total_duration_minutes=15)
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        source_svc.add_source(
            session, actor=ADMIN, course_id=course_id, filename="handbook.md", data=sf.markdown()
        )
    job = wait_for(
        int(start_job(actor=ADMIN, kind=generation.KIND_COURSE, course_id=course_id).id or 0), timeout=60
    )
    assert job.status == JobStatus.succeeded, job.error_detail
    at = open_page("sources", course_id=course_id, lang="en")
    shown = texts(at)
    # One lesson cannot use all four sections: the rest are listed as unused.
    assert "Sources used by the lessons:" in shown and "of 4 passages" in shown
    assert any(e.label == "Passages no lesson cites" for e in at.expander)

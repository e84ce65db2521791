"""issue 17: exports carry each lesson's sources (Markdown and HTML footnotes, PPTX notes,
JSON fields) in both profiles; a course without sources exports as before."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from core.db import session_scope
from core.exporters import export_course
from core.jobs import start_job, wait_for
from core.models import JobStatus
from core.schemas import CourseParams
from core.services import generation
from core.services import sources as source_svc
from core.services.courses import create_course
from tests import source_files as sf
from tests.actors import ADMIN


def _course(with_sources: bool) -> int:
    params = CourseParams(
        topic="Staff handbook", module_count=1, lessons_per_module=2, total_duration_minutes=30
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        if with_sources:
            source_svc.add_source(
                session, actor=ADMIN, course_id=course_id, filename="handbook.pdf", data=sf.pdf()
            )
    job = wait_for(
        int(start_job(actor=ADMIN, kind=generation.KIND_COURSE, course_id=course_id).id or 0), timeout=60
    )
    assert job.status == JobStatus.succeeded, job.error_detail
    return course_id


def _zip_text(data: bytes, suffix: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(suffix))


@pytest.mark.parametrize("profile", ["minimal", "full"])
def test_every_format_carries_the_lessons_sources(db: str, profile: str) -> None:
    course_id = _course(with_sources=True)
    with session_scope() as session:
        data = {
            fmt: export_course(session, course_id, fmt, profile)[0] for fmt in ("json", "md", "html", "pptx")
        }
    doc = json.loads(data["json"])
    lessons = [lesson for m in doc["course"]["modules"] for lesson in m["lessons"]]
    assert all(lesson["sources"] for lesson in lessons)
    first = lessons[0]["sources"][0]
    assert first["source"] == "handbook.pdf" and first["page"] >= 1 and first["quote"]

    md = _zip_text(data["md"], ".md")
    assert "## Sources" in md and "[^1]: handbook.pdf, p." in md and "*Sources:* [^1]" in md
    html = _zip_text(data["html"], ".html")
    assert '<section class="sources"><h2>Sources</h2>' in html and 'href="#src-1"' in html
    assert first["quote"][:30] in html

    from pptx import Presentation

    deck = Presentation(io.BytesIO(data["pptx"]))
    notes = "\n".join(s.notes_slide.notes_text_frame.text for s in deck.slides if s.has_notes_slide)
    assert "Sources:\n[1] handbook.pdf, p." in notes


def test_a_course_without_sources_has_no_sources_anywhere(db: str) -> None:
    course_id = _course(with_sources=False)
    with session_scope() as session:
        doc = json.loads(export_course(session, course_id, "json", "full")[0])
        md = _zip_text(export_course(session, course_id, "md")[0], ".md")
    assert all("sources" not in lesson for m in doc["course"]["modules"] for lesson in m["lessons"])
    assert "## Sources" not in md

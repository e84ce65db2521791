"""Exports (issue 12): one job per click, "Export all" as one ZIP job, incomplete lessons
listed before an export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlmodel import func, select

from core.db import session_scope
from core.exporters import EXPORTERS
from core.jobs import create_job, wait_for
from core.models import Job, JobStatus, Lesson
from core.services.courses import load_course
from core.services.exports import KIND_EXPORT, export_file, incomplete_lessons, start_export
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.factories import make_course


@pytest.fixture
def course_id(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
    reset_settings()
    with session_scope() as session:
        return make_course(session, modules=2, lessons=2, slides=2, language="ru")


def _exports() -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Job).where(Job.kind == KIND_EXPORT)).one())


def test_a_second_prepare_while_one_runs_returns_the_running_job(course_id: int) -> None:
    with session_scope() as session:
        # A job another click left queued (not handed to a runner, so it stays queued).
        running = create_job(
            session, kind=KIND_EXPORT, course_id=course_id, payload={"fmt": "md", "profile": "minimal"}
        )
        running_id = int(running.id or 0)
    again = start_export(actor=ADMIN, course_id=course_id, fmt="md", profile="minimal")
    assert again.id == running_id and _exports() == 1
    # Another format or profile is another job.
    other = start_export(actor=ADMIN, course_id=course_id, fmt="json", profile="minimal")
    assert other.id != running_id and _exports() == 2
    assert wait_for(int(other.id or 0), timeout=60).status == JobStatus.succeeded


def test_export_all_builds_every_format_into_one_zip_in_one_job(course_id: int) -> None:
    job = wait_for(
        int(start_export(actor=ADMIN, course_id=course_id, fmt="all", profile="full").id or 0), timeout=120
    )
    assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
    assert _exports() == 1
    found = export_file(job)
    assert found is not None
    data, name, mime = found
    assert mime == "application/zip" and name.endswith("-all.zip")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    for exporter in EXPORTERS.values():
        assert any(n.endswith("." + exporter.extension) for n in names), (exporter.name, names)
    assert [s["status"] for s in job.steps] == ["done"] * len(job.steps)


def test_incomplete_lessons_are_listed_with_their_status(course_id: int) -> None:
    with session_scope() as session:
        lessons = list(session.exec(select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.id)))
        lessons[1].detail_status, lessons[1].body_md = "pending", ""
        lessons[2].detail_status = "draft"
        for lesson in lessons[1:3]:
            session.add(lesson)
    with session_scope() as session:
        listed = incomplete_lessons(load_course(session, course_id))
    assert [status for _, status in listed] == ["pending", "draft"]
    assert listed[0][0].startswith("1.2 ")

"""Retry tells the truth (issue 12): retrying a structure job whose outline failed
validation asks the model again and writes the structure; the draft stays in history."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from core.db import session_scope
from core.errors import Code
from core.jobs import retry_job, start_job, wait_for
from core.models import JobStatus, Module, Revision, RevisionStatus
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from tests.actors import ADMIN
from tests.fakes.fake_llm import FakeLLM


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(generation, "get_provider", lambda: llm)
    return llm


def test_retrying_an_invalid_outline_asks_again_and_writes_the_structure(db: str, fake: FakeLLM) -> None:
    params = CourseParams(
        topic="Python testing", module_count=2, lessons_per_module=2, total_duration_minutes=60
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
    fake.enqueue('{"title": "x"}', '{"title": "Still wrong"}')  # the answer and its remediation
    job = start_job(kind=generation.KIND_OUTLINE, actor=ADMIN, course_id=course_id)
    job = wait_for(int(job.id or 0), timeout=60)
    assert job.status == JobStatus.failed and job.error_code == Code.LLM_INVALID_OUTPUT
    calls_before = len(fake.requests)

    retry_job(int(job.id or 0), actor=ADMIN)
    job = wait_for(int(job.id or 0), timeout=60)

    assert job.status == JobStatus.succeeded
    assert len(fake.requests) > calls_before, "the retry called the model again"
    assert job.steps[0]["status"] == "done"
    assert job.steps[0]["detail"] != "written by an earlier attempt"
    with session_scope() as session:
        modules = session.exec(
            select(func.count()).select_from(Module).where(Module.course_id == course_id)
        ).one()
        statuses = sorted(
            r.status for r in session.exec(select(Revision).where(Revision.node_type == "course"))
        )
    assert modules == 2
    assert RevisionStatus.draft in statuses, "the failed attempt's draft stays in history"

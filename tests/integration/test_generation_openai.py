"""Whole generation jobs through the real OpenAI SDK over HTTP against the fake server:
every failure mode ends in a stored course or a kept draft with the right code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from core.db import session_scope
from core.errors import Code
from core.jobs import start_job, wait_for
from core.models import Job, JobStatus, Lesson, LLMCall, Revision, RevisionStatus
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course, load_course
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.fakes.openai_server import FakeOpenAIServer, malformed, ok, refusal, status, truncated


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, any_db: str) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        for name, value in {
            "LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": "sk-test-generation-0123456789",
            "OPENAI_BASE_URL": fake.base_url,
            "HTTP_RETRIES": "2",
            "HTTP_BACKOFF_BASE_S": "0.01",
            "HTTP_TIMEOUT_S": "1",
            # One lesson at a time, so scripted answers meet the calls in a known order.
            "GENERATION_CONCURRENCY": "1",
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield fake


def _course(modules: int = 1, lessons: int = 2) -> int:
    params = CourseParams(
        topic="Incident response",
        module_count=modules,
        lessons_per_module=lessons,
        total_duration_minutes=modules * lessons * 15,
        language="en",
    )
    with session_scope() as session:
        return int(create_course(session, actor=ADMIN, params=params).id or 0)


def _run(kind: str, course_id: int) -> Job:
    return wait_for(int(start_job(actor=ADMIN, kind=kind, course_id=course_id).id or 0), timeout=90)


def test_course_survives_rate_limits_and_server_errors(server: FakeOpenAIServer) -> None:
    course_id = _course()
    server.enqueue(status(429, retry_after=0), status(500), ok())  # outline: two retries, then fine
    job = _run(generation.KIND_COURSE, course_id)
    assert job.status == JobStatus.succeeded, job.error_detail
    with session_scope() as session:
        doc = load_course(session, course_id)
        calls = session.exec(select(LLMCall).where(LLMCall.job_id == job.id)).all()
    assert all(lesson.body_md and lesson.slides for lesson in doc.lessons)
    assert len(calls) == 1 + 2 + 2  # retries happen below the gateway: one row per answered call
    assert all(c.outcome == "ok" and c.cost_usd > 0 and c.input_tokens > 0 for c in calls)
    assert len(server.requests) == 3 + 2 + 2


def test_malformed_answer_is_remediated_into_a_lesson(server: FakeOpenAIServer) -> None:
    course_id = _course()
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    server.enqueue(malformed())
    job = _run(generation.KIND_LESSONS, course_id)
    assert job.status == JobStatus.succeeded
    with session_scope() as session:
        outcomes = session.exec(
            select(LLMCall.outcome, LLMCall.remediation)
            .where(LLMCall.job_id == job.id)
            .order_by(col(LLMCall.id))
        ).all()
    assert outcomes[:2] == [("invalid", False), ("ok", True)]
    remediation_request = server.requests[-2]["messages"][-1]["content"]
    assert "not valid JSON" in remediation_request


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ([malformed(), malformed()], Code.LLM_INVALID_OUTPUT),
        ([truncated(), truncated()], Code.LLM_TRUNCATED),
        ([refusal("No.")], Code.LLM_REFUSED),
    ],
    ids=["malformed-twice", "truncated-twice", "refusal"],
)
def test_unusable_answers_become_drafts_with_their_code(server: FakeOpenAIServer, script, code) -> None:
    course_id = _course()
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    server.enqueue(*script)
    job = _run(generation.KIND_LESSONS, course_id)
    # One lesson usable, one kept as a draft: the job says partial (issue 10), with counts.
    assert job.status == JobStatus.partial and job.result["drafts"] == 1
    assert [s["status"] for s in job.steps] == ["draft", "done"]
    with session_scope() as session:
        first = session.exec(select(Lesson).order_by(col(Lesson.position))).first()
        draft = session.exec(
            select(Revision).where(Revision.node_type == "lesson", Revision.node_id == first.id)
        ).one()
    assert first.detail_status == "draft"
    assert draft.status == RevisionStatus.draft and draft.error_code == code
    assert draft.content["raw"]  # what the model said is kept


def test_timeouts_fail_the_lesson_and_retry_finishes_the_job(server: FakeOpenAIServer) -> None:
    from tests.fakes.openai_server import delay

    course_id = _course()
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    server.enqueue(delay(3), delay(3), delay(3))  # first lesson: the call and both retries time out
    job = _run(generation.KIND_LESSONS, course_id)
    # One lesson failed, the other was written: partial, naming the failure, retryable.
    assert job.status == JobStatus.partial and job.error_code == Code.OPENAI_TIMEOUT
    assert [s["status"] for s in job.steps] == ["failed", "done"]
    from core.jobs import retry_job

    retry_job(int(job.id or 0), actor=ADMIN)
    job = wait_for(int(job.id or 0), timeout=90)
    assert job.status == JobStatus.succeeded
    assert [s["status"] for s in job.steps] == ["done", "done"]


def test_wrong_key_fails_with_auth_code_and_no_retry(server: FakeOpenAIServer) -> None:
    course_id = _course()
    server.enqueue(status(401))
    job = _run(generation.KIND_OUTLINE, course_id)
    assert job.status == JobStatus.failed and job.error_code == Code.OPENAI_AUTH
    assert len(server.requests) == 1
    assert "sk-test" not in (job.error_detail or "")

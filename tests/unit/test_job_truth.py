"""Issue 10 on the in-process runner, on SQLite and PostgreSQL: truthful status (partial),
fencing tokens, database error codes, secret redaction, and budgets that are numbers."""

from __future__ import annotations

import io
import json
import logging
import math
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import (
    TASKS,
    ClaimLost,
    JobContext,
    _claim,
    execute,
    get_job,
    retry_job,
    start_job,
    task,
    wait_for,
)
from core.logs import JsonFormatter
from core.models import Job, JobStatus, Lesson, Revision, utcnow
from core.services import generation
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.fakes.fake_llm import FakeLLM
from tests.unit.test_generation import _count, _course, _run


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(generation, "get_provider", lambda: llm)
    return llm


SECRET = "sk-proj-Zq7VnR2mXc9LwT4bKp8HsY3dJf6Ga1Ue"


# ---------------------------------------------------------------- partial


def test_every_lesson_a_draft_ends_partial_and_slides_say_why(any_db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    for title in ("Lesson 1.1", "Lesson 1.2"):
        fake.enqueue_for(title, "not json", "still not json")
    job = _run(generation.KIND_LESSONS, course_id, with_slides=True)
    assert job.status == JobStatus.partial, (job.error_code, job.error_detail)
    assert (job.result["written"], job.result["drafts"], job.result["skipped"]) == (0, 2, 2)
    slides = [s for s in job.steps if s["name"].startswith("slides:")]
    assert len(slides) == 2
    for step in slides:
        assert step["status"] == "skipped"
        assert "kept as a draft" in step["detail"] and "already written" not in step["detail"]
    # a partial job can be retried like a failed one
    retry_job(int(job.id or 0), actor=ADMIN)
    assert wait_for(int(job.id or 0)).status in (JobStatus.succeeded, JobStatus.partial)


def test_clean_job_still_succeeds_with_counts(any_db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    job = _run(generation.KIND_LESSONS, course_id, with_slides=True)
    assert job.status == JobStatus.succeeded
    assert (job.result["written"], job.result["drafts"], job.result["skipped"]) == (4, 0, 0)


# ---------------------------------------------------------------- fencing


def test_a_worker_that_lost_its_claim_neither_calls_nor_writes(
    any_db: str, fake: FakeLLM, monkeypatch
) -> None:
    monkeypatch.setenv("JOB_STALE_AFTER_S", "0.01")
    reset_settings()
    course_id = _course(modules=1, lessons=2, duration=30)
    # a job claimed by "worker A"
    with session_scope() as session:
        job = Job(kind=generation.KIND_OUTLINE, course_id=course_id, singleton=True)
        session.add(job)
        session.flush()
        job_id = int(job.id or 0)
    first = _claim(job_id)
    assert first is not None
    ctx_a = JobContext(first)
    ctx_a.check_cancel()  # holds its claim
    # its heartbeat goes stale; "worker B" takes the job over (attempt 2). A minute back,
    # not created_at: a fast run claims within the 10 ms stale limit of its creation.
    with session_scope() as session:
        stale = utcnow() - timedelta(minutes=1)
        session.execute(update(Job).where(col(Job.id) == job_id).values(heartbeat_at=stale))
    second = _claim(job_id)
    assert second is not None and second.attempts == ctx_a.fence + 1
    with pytest.raises(ClaimLost):
        ctx_a.check_cancel()
    # A's next model call is refused before it reaches the provider
    provider = generation.fenced(ctx_a, fake)
    before = len(fake.requests)
    with pytest.raises(ClaimLost):
        provider.complete(object())  # type: ignore[arg-type]
    assert len(fake.requests) == before
    # and so is any write under its stale token
    with session_scope() as session, pytest.raises(ClaimLost):
        ctx_a.assert_claim(session)
    # B's claim is intact; A's outcome would not overwrite it
    from core.jobs import _finish

    assert not _finish(job_id, JobStatus.failed, fence=ctx_a.fence, error_code="x")
    with session_scope() as session:
        assert get_job(session, job_id).status == JobStatus.running


# ---------------------------------------------------------------- database errors


def test_a_job_that_loses_the_database_ends_with_a_db_code_and_resumes(any_db: str, monkeypatch) -> None:
    calls = {"n": 0}

    @task("test-db-drop")
    def flaky(ctx: JobContext) -> dict:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return {"ok": True}

    monkeypatch.setitem(TASKS, "test-db-drop", flaky)
    job = wait_for(int(start_job(kind="test-db-drop", actor=ADMIN).id or 0))
    assert job.status == JobStatus.failed and job.error_code == Code.DB_UNAVAILABLE
    retry_job(int(job.id or 0), actor=ADMIN)
    assert wait_for(int(job.id or 0)).status == JobStatus.succeeded


# ---------------------------------------------------------------- redaction


def test_key_fragments_echoed_by_a_provider_never_reach_the_job_or_logs(
    any_db: str, fake: FakeLLM, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # The fake provider answers; no moderation server is reachable in this test.
    monkeypatch.setenv("MODERATION", "off")
    reset_settings()
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    echoed = f"Incorrect API key provided: raw=...{SECRET[8:30]}... see docs"
    fake.enqueue_for("Lesson 1.1", AppError(Code.OPENAI_AUTH, echoed))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    try:
        job = _run(generation.KIND_LESSONS, course_id)
        logging.getLogger("core.test").warning("provider said %s", echoed)
    finally:
        logging.getLogger().removeHandler(handler)
    stored = json.dumps([job.error_detail, job.steps, job.result])
    logged = stream.getvalue()
    assert "Incorrect API key" in (job.error_detail or "")
    for text in (stored, logged):
        for i in range(len(SECRET) - 7):
            assert SECRET[i : i + 8] not in text, f"key fragment {SECRET[i : i + 8]!r} leaked"
    assert "[redacted]" in logged


# ---------------------------------------------------------------- budgets


@pytest.mark.parametrize("budget", [math.nan, math.inf, -math.inf, 0.0, -1.0])
def test_non_finite_budgets_are_refused_before_any_job(any_db: str, budget: float) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    with pytest.raises(AppError) as err:
        generation.start_course(course_id=course_id, budget_usd=budget, actor=ADMIN)
    assert err.value.code == Code.VALIDATION and "budget" in err.value.message
    assert _count(Job) == 0


def test_drafts_of_an_earlier_attempt_still_count(db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    fake.enqueue_for("Lesson 1.1", "bad", "bad again")
    fake.enqueue_for("Lesson 1.2", AppError(Code.OPENAI_SERVER, "boom"))
    job = _run(generation.KIND_LESSONS, course_id)
    assert job.status == JobStatus.partial
    retry_job(int(job.id or 0), actor=ADMIN)  # redoes 1.2 only; 1.1 stays a draft
    job = wait_for(int(job.id or 0))
    assert job.status == JobStatus.partial and job.result["drafts"] == 1
    assert _count(Lesson, Lesson.detail_status == "draft") == 1
    assert _count(Revision, Revision.job_id == job.id) == 2
    assert execute(int(job.id or 0)) == JobStatus.partial  # already ended: not run again

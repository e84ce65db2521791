"""RQ on the real Redis: a worker killed with SIGKILL mid-job; a new worker finishes it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlmodel import func, select

from core.db import session_scope
from core.jobs import get_job
from core.models import JobStatus, Lesson, LLMCall, Revision
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from core.settings import ROOT, reset_settings
from tests.actors import ADMIN

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
pytestmark = pytest.mark.redis


@pytest.fixture
def redis_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError as exc:
        pytest.fail(f"Redis is required for this test and is not reachable at {REDIS_URL}: {exc}")
    env = {
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": f"cs-test-{uuid.uuid4().hex[:8]}",
        "LLM_PROVIDER": "offline",
        "OFFLINE_LATENCY_MS": "250",
        "GENERATION_CONCURRENCY": "2",
        "JOB_HEARTBEAT_S": "0.3",
        "JOB_STALE_AFTER_S": "2",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    yield env
    Redis.from_url(REDIS_URL).delete(f"rq:queue:{env['RQ_QUEUE']}")


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env=full_env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its work horse (RQ puts the horse in a session of its own)."""
    try:
        victims = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        victims = []
    for victim in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.send_signal(signal.SIGKILL)
    proc.wait(10)


def _wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def _job(job_id: int):
    with session_scope() as session:
        return get_job(session, job_id)


def _lesson_revisions(job_id: int) -> list[int]:
    with session_scope() as session:
        return list(session.exec(select(Revision.node_id).where(Revision.job_id == job_id)).all())


def test_sigkilled_worker_job_is_finished_by_the_next_worker(any_db: str, redis_env, tmp_path: Path) -> None:
    env = {**redis_env, "DATABASE_URL": any_db}
    log = tmp_path / "worker.log"
    params = CourseParams(
        topic="Kubernetes basics", module_count=4, lessons_per_module=5, total_duration_minutes=200
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)

    first = _start_worker(env, log)
    second = None
    try:
        outline = generation.start_outline(actor=ADMIN, course_id=course_id)
        _wait(lambda: JobStatus(_job(int(outline.id or 0)).status).finished, 60, "the outline", log)
        assert _job(int(outline.id or 0)).status == JobStatus.succeeded

        job_id = int(generation.start_lessons(actor=ADMIN, course_id=course_id).id or 0)
        _wait(lambda: len(_lesson_revisions(job_id)) >= 4, 60, "some lessons", log)
        _kill(first)
        written_at_kill = len(_lesson_revisions(job_id))
        assert written_at_kill < 20, "the job finished before the kill; raise OFFLINE_LATENCY_MS"
        assert _job(job_id).status == JobStatus.running

        second = _start_worker(env, log)
        _wait(lambda: JobStatus(_job(job_id).status).finished, 120, "the resumed job", log)
    finally:
        _kill(first)
        if second is not None:
            _kill(second)

    job = _job(job_id)
    assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
    assert job.attempts == 2
    rows = _lesson_revisions(job_id)
    assert len(rows) == 20 and len(set(rows)) == 20  # every lesson exactly once
    with session_scope() as session:
        generated = session.exec(
            select(func.count())
            .select_from(Lesson)
            .where(Lesson.course_id == course_id, Lesson.detail_status == "generated")
        ).one()
        lesson_calls = session.exec(
            select(func.count()).select_from(LLMCall).where(LLMCall.job_id == job_id)
        ).one()
    assert generated == 20
    # Only calls in flight at the kill (at most the concurrency bound) may be made twice;
    # a killed call never got its row written, so rows count successful calls once each.
    assert 20 <= lesson_calls <= 20 + 2

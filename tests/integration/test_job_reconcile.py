"""No job stays queued forever (issue 10), on the real Redis with a queue of its own:
the jobs table, not RQ, is the record of what must run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.executions import Execution
from rq.job import Job as RQJob
from rq.registry import StartedJobRegistry

from core.db import session_scope
from core.errors import Code
from core.jobs import get_job, reconcile_queue, retry_job, rq_job_id
from core.models import Job, JobStatus, utcnow
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from core.settings import ROOT, reset_settings
from tests.actors import ADMIN

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def queue_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    Redis.from_url(REDIS_URL).ping()
    name = f"cs-test-{uuid.uuid4().hex[:8]}"
    for key, value in {
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": name,
        "LLM_PROVIDER": "offline",
        "JOB_STALE_AFTER_S": "2",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    yield name
    redis = Redis.from_url(REDIS_URL)
    for key in redis.scan_iter(f"rq:*{name}*"):
        redis.delete(key)


def _queue(name: str) -> Queue:
    return Queue(name, connection=Redis.from_url(REDIS_URL))


def _course() -> int:
    params = CourseParams(topic="Queues", module_count=1, lessons_per_module=2, total_duration_minutes=30)
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_worker_burst(name: str, db_url: str, tmp_path: Path) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": name,
        "LLM_PROVIDER": "offline",
        "JOB_STALE_AFTER_S": "2",
    }
    out = subprocess.run(
        [sys.executable, "-m", "workers", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (tmp_path / "worker.log").write_text(out.stdout + out.stderr)
    return out.stdout + out.stderr


def _status(job_id: int) -> str:
    with session_scope() as session:
        return str(get_job(session, job_id).status)


def _age(job_id: int, seconds: float = 60) -> None:
    """Make a queued job look older than the reconciliation's grace period."""
    from datetime import timedelta

    with session_scope() as session:
        job = get_job(session, job_id)
        job.heartbeat_at = utcnow() - timedelta(seconds=seconds)
        job.created_at = utcnow() - timedelta(seconds=seconds)
        session.add(job)


def test_enqueue_failure_keeps_the_job_and_it_is_enqueued_later(
    any_db: str, queue_name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    course_id = _course()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")  # Redis is down
    reset_settings()
    job = generation.start_outline(
        course_id=course_id, actor=ADMIN
    )  # saved, not enqueued; no error for the click
    job_id = int(job.id or 0)
    assert _status(job_id) == JobStatus.queued
    monkeypatch.setenv("REDIS_URL", REDIS_URL)  # Redis is back
    reset_settings()
    assert rq_job_id(job_id) not in _queue(queue_name).job_ids
    # the next click gets the same job back and makes sure it is enqueued
    again = generation.start_outline(course_id=course_id, actor=ADMIN)
    assert again.id == job_id
    assert rq_job_id(job_id) in _queue(queue_name).job_ids
    # ... and had nobody clicked, the recovery loop would have: drop it and reconcile
    RQJob.fetch(rq_job_id(job_id), connection=_queue(queue_name).connection).delete()
    _age(job_id)
    assert reconcile_queue() == [job_id]
    assert rq_job_id(job_id) in _queue(queue_name).job_ids
    _run_worker_burst(queue_name, any_db, tmp_path)
    assert _status(job_id) == JobStatus.succeeded


def test_a_queued_job_whose_rq_entry_vanished_is_enqueued_again(any_db: str, queue_name: str) -> None:
    job_id = int(generation.start_outline(course_id=_course(), actor=ADMIN).id or 0)
    queue = _queue(queue_name)
    assert rq_job_id(job_id) in queue.job_ids
    # Redis restarted without persistence: the entry and the queue are gone
    RQJob.fetch(rq_job_id(job_id), connection=queue.connection).delete()
    queue.connection.delete(queue.key)
    _age(job_id)
    assert reconcile_queue() == [job_id]
    assert rq_job_id(job_id) in queue.job_ids
    assert reconcile_queue() == []  # a live entry is left alone


def test_retrying_an_orphaned_job_replaces_the_dead_started_entry(
    any_db: str, queue_name: str, tmp_path: Path
) -> None:
    job_id = int(generation.start_outline(course_id=_course(), actor=ADMIN).id or 0)
    queue = _queue(queue_name)
    # A worker took the RQ job and died: RQ still holds it as "started" (its registry
    # entry outlives the worker), and the jobs table gave up with E.JOB.ORPHANED.
    entry = RQJob.fetch(rq_job_id(job_id), connection=queue.connection)
    queue.remove(entry)
    with queue.connection.pipeline() as pipe:
        entry.set_status("started", pipeline=pipe)
        Execution.create(entry, ttl=3600, pipeline=pipe, worker_name="dead-worker")
        pipe.execute()
    assert rq_job_id(job_id) in StartedJobRegistry(queue_name, connection=queue.connection)
    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.error_code, job.attempts = JobStatus.failed, Code.JOB_ORPHANED, 3
        job.error_detail = "worker died; gave up after 3 attempts"
        session.add(job)
    retry_job(job_id, actor=ADMIN)
    assert rq_job_id(job_id) in queue.job_ids, "the retry sits unqueued behind the dead entry"
    log = _run_worker_burst(queue_name, any_db, tmp_path)
    assert _status(job_id) == JobStatus.succeeded, log[-3000:]

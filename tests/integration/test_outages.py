"""Brief outages survived (issue 10): PostgreSQL and Redis reached through a local TCP
proxy that the test cuts; the shared servers are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from sqlmodel import func, select

from core.db import dispose_engines, migrate, session_scope
from core.jobs import get_job, wait_for
from core.models import JobStatus, Lesson, Revision
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from core.settings import ROOT, reset_settings
from tests.actors import ADMIN
from tests.fakes.tcp_proxy import TcpProxy

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _written(job_id: int) -> list[tuple[str, int]]:
    with session_scope(readonly=True) as session:
        rows = session.exec(
            select(Revision.node_type, Revision.node_id).where(Revision.job_id == job_id)
        ).all()
    return [(str(t), int(i)) for t, i in rows]


def test_a_job_survives_postgresql_connections_dropped_for_two_seconds(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(pg_url)
    dispose_engines()
    with TcpProxy(5432) as proxy:
        via_proxy = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        monkeypatch.setenv("DATABASE_URL", via_proxy)
        monkeypatch.setenv("LLM_PROVIDER", "offline")
        monkeypatch.setenv("OFFLINE_LATENCY_MS", "150")
        monkeypatch.setenv("GENERATION_CONCURRENCY", "2")
        reset_settings()
        params = CourseParams(
            topic="Outages", module_count=2, lessons_per_module=3, total_duration_minutes=90
        )
        with session_scope() as session:
            course_id = int(create_course(session, params=params, actor=ADMIN).id or 0)
        job_id = int(generation.start_course(course_id=course_id, actor=ADMIN).id or 0)
        _wait(lambda: len(_written(job_id)) >= 4, 120, "some lessons")
        for _ in range(2):  # two drops, each a couple of seconds long
            proxy.cut()
            time.sleep(2.0)  # the outage itself is the scenario, not a wait on a condition
            proxy.restore()
            time.sleep(0.5)
        job = wait_for(job_id, timeout=180)
        assert proxy.cuts == 2
        assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
        rows = _written(job_id)
        assert len(rows) == len(set(rows))  # nothing written twice
        with session_scope(readonly=True) as session:
            generated = session.exec(
                select(func.count())
                .select_from(Lesson)
                .where(
                    Lesson.course_id == course_id,
                    Lesson.detail_status == "generated",
                    Lesson.slides_status == "generated",
                )
            ).one()
        assert generated == 6
        dispose_engines()


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_the_worker_reconnects_when_its_redis_link_drops(
    any_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    Redis.from_url(REDIS_URL).ping()
    queue = f"cs-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    common = {"RQ_QUEUE": queue, "LLM_PROVIDER": "offline", "OFFLINE_LATENCY_MS": "300",
              "JOB_HEARTBEAT_S": "0.3", "JOB_STALE_AFTER_S": "3", "GENERATION_CONCURRENCY": "2"}  # fmt: skip
    # The app talks to Redis directly; only the worker's link goes through the proxy.
    for key, value in {**common, "REDIS_URL": REDIS_URL}.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    with TcpProxy(6379) as proxy:
        env = {**common, "DATABASE_URL": any_db, "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0"}
        worker = _worker(env, log)
        try:
            params = CourseParams(
                topic="Redis", module_count=2, lessons_per_module=3, total_duration_minutes=90
            )
            with session_scope() as session:
                course_id = int(create_course(session, params=params, actor=ADMIN).id or 0)
            first = int(generation.start_course(course_id=course_id, actor=ADMIN).id or 0)
            _wait(lambda: _job_status(first) == JobStatus.running, 120, "the first job to run")
            proxy.cut()  # mid-job: RQ's monitor of the work horse loses Redis
            time.sleep(4)  # Redis stays away a few seconds (the scenario, not a wait)
            proxy.restore()
            assert worker.poll() is None, "the worker exited when Redis dropped:\n" + log.read_text()[-3000:]
            _wait(lambda: JobStatus(_job_status(first)).finished, 180, "the first job")
            assert _job_status(first) == JobStatus.succeeded
            # the worker, back on its link, still takes new work
            with session_scope() as session:
                other = int(create_course(session, params=params, actor=ADMIN).id or 0)
            second = int(generation.start_outline(course_id=other, actor=ADMIN).id or 0)
            _wait(lambda: JobStatus(_job_status(second)).finished, 120, "a job after the drop")
            assert _job_status(second) == JobStatus.succeeded
            assert worker.poll() is None
        finally:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
            Redis.from_url(REDIS_URL).delete(f"rq:queue:{queue}")


def _job_status(job_id: int) -> str:
    with session_scope(readonly=True) as session:
        return str(get_job(session, job_id).status)

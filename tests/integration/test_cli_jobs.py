"""`python -m core recover` and `generate --timeout/--budget` as a person runs them: in a
subprocess, with the in-process runner (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import func, select

from core.db import session_scope
from core.jobs import get_job
from core.models import Course, Job, JobStatus, utcnow
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from core.settings import ROOT
from tests.actors import ADMIN

SMALL = ["--topic", "Git basics", "--modules", "1", "--lessons", "2", "--duration", "30"]


def _cli(db_url: str, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "LLM_PROVIDER": "offline",
        "JOB_HEARTBEAT_S": "0.2",
        **env,
    }
    full_env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _count(model) -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e999"])
def test_non_finite_budget_is_refused_at_parsing(any_db: str, value: str) -> None:
    out = _cli(any_db, "generate", *SMALL, f"--budget={value}")
    assert out.returncode == 2
    assert "--budget" in out.stderr and "finite" in out.stderr
    assert _count(Course) == 0 and _count(Job) == 0


@pytest.mark.parametrize("value", ["0", "-5", "nan"])
def test_timeout_must_be_positive(db: str, value: str) -> None:
    out = _cli(db, "generate", *SMALL, f"--timeout={value}")
    assert out.returncode == 2 and "--timeout" in out.stderr
    assert _count(Course) == 0


def test_recover_resumes_an_orphan_in_the_foreground(any_db: str) -> None:
    params = CourseParams(topic="Recover me", module_count=1, lessons_per_module=2, total_duration_minutes=30)
    with session_scope() as session:
        course_id = int(create_course(session, params=params, actor=ADMIN).id or 0)
        # a job whose in-process runner died with its process: running, heartbeat stale
        job = Job(
            kind=generation.KIND_COURSE,
            course_id=course_id,
            singleton=True,
            status=JobStatus.running,
            attempts=1,
            heartbeat_at=utcnow() - timedelta(minutes=10),
        )
        session.add(job)
        session.flush()
        job_id = int(job.id or 0)
    out = _cli(any_db, "recover", JOB_STALE_AFTER_S="5")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "cannot schedule new futures" not in out.stderr
    with session_scope() as session:
        job = get_job(session, job_id)
    assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
    assert f"job {job_id}: succeeded" in out.stderr


def test_generate_timeout_leaves_the_job_resumable_and_recover_finishes_it(db: str) -> None:
    out = _cli(db, "generate", *SMALL, "--timeout", "2", OFFLINE_LATENCY_MS="700", GENERATION_CONCURRENCY="1")
    assert out.returncode == 1, out.stderr[-3000:]
    assert "did not finish within 2s" in out.stderr and "recover" in out.stderr
    assert "cannot schedule new futures" not in out.stderr
    with session_scope() as session:
        job = session.exec(select(Job)).one()
    assert job.status == JobStatus.queued  # resumable, not failed
    assert job.error_code == "E.JOB.INTERRUPTED"
    out = _cli(db, "recover")
    assert out.returncode == 0, out.stderr[-3000:]
    with session_scope() as session:
        job = get_job(session, int(job.id or 0))
    assert job.status == JobStatus.succeeded and job.error_code is None


def test_generate_exits_non_zero_for_a_partial_job(any_db: str, tmp_path) -> None:
    target = tmp_path / "course.json"
    # the 2nd model call (the first lesson) answers malformed, its remediation too: a draft
    out = _cli(any_db, "generate", *SMALL, "--out", str(target), OFFLINE_FAULTS="malformed_always@2")
    assert out.returncode == 3, out.stderr[-3000:]
    assert "partial" in out.stderr and "1 drafts" in out.stderr
    assert target.exists()  # what was written is kept
    listing = _cli(any_db, "jobs")
    assert "partial" in listing.stdout and "written/drafts/skipped" in listing.stdout

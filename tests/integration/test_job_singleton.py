"""One active job per (course, kind), on SQLite and PostgreSQL, under 50 real threads and
20 real processes clicking "write lessons" at once (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlmodel import func, select

import core.jobs as jobs
from core.db import session_scope
from core.models import Job
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from core.settings import ROOT
from tests.actors import ADMIN

# A child process: wait for the go file, click once, print the job id it got back.
CHILD = """
import sys, time, os
from pathlib import Path
import core.jobs as jobs
jobs.submit = lambda *a, **k: None  # only creation is under test; nothing runs
from core.services import generation
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
from core.auth import local_actor
job = generation.start_lessons(course_id=int(sys.argv[1]), actor=local_actor())
print(job.id, flush=True)
"""


def _course() -> int:
    params = CourseParams(topic="Races", module_count=1, lessons_per_module=2, total_duration_minutes=30)
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def _jobs(course_id: int) -> int:
    with session_scope(readonly=True) as session:
        return int(
            session.exec(select(func.count()).select_from(Job).where(Job.course_id == course_id)).one()
        )


def test_fifty_threads_create_one_job(any_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "submit", lambda *a, **k: None)
    course_id = _course()
    barrier = threading.Barrier(50)
    got: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def click() -> None:
        try:
            barrier.wait(30)
            job = generation.start_lessons(course_id=course_id, actor=ADMIN)
            with lock:
                got.append(int(job.id or 0))
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    assert len(got) == 50 and len(set(got)) == 1  # every click got the same job back
    assert _jobs(course_id) == 1


def test_twenty_processes_create_one_job(any_db: str, tmp_path: Path) -> None:
    course_id = _course()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(course_id), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(20)
    ]
    try:
        for proc in procs:  # every child imported everything and waits
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line == "ready", proc.stderr.read() if proc.stderr else ""
        go.touch()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    ids = set()
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        ids.add(int(out.strip().splitlines()[-1]))
    assert len(ids) == 1
    assert _jobs(course_id) == 1


def test_an_ended_job_frees_the_slot(any_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "submit", lambda *a, **k: None)
    course_id = _course()
    first = generation.start_lessons(course_id=course_id, actor=ADMIN)
    with session_scope() as session:
        jobs.request_cancel(session, int(first.id or 0), actor=ADMIN)
    second = generation.start_lessons(course_id=course_id, actor=ADMIN)
    assert second.id != first.id
    # other kinds and other courses are independent
    assert generation.start_slides(course_id=course_id, actor=ADMIN).id not in (first.id, second.id)
    assert generation.start_lessons(course_id=_course(), actor=ADMIN).id not in (first.id, second.id)

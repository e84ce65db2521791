"""A stale worker cannot keep working (issue 10): a work horse frozen with SIGSTOP past the
stale limit, whose job another worker then claims, stops on SIGCONT before its next model
call. Calls are counted at the (offline) provider, in real RQ workers on the real Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import psutil
import pytest
from redis import Redis
from sqlmodel import select

from core.db import session_scope
from core.jobs import get_job
from core.models import JobStatus, Revision
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course
from core.settings import ROOT, reset_settings
from tests.actors import ADMIN
from tests.fakes.counting_worker import read_calls

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.counting_worker"],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        for victim in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.send_signal(signal.SIGCONT)
                victim.send_signal(signal.SIGKILL)
    proc.wait(20)


def _wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def _wait_until_stopped(horses: list[psutil.Process], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    for horse in horses:
        while time.monotonic() < deadline:
            try:
                states = [
                    (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    for task in Path(f"/proc/{horse.pid}/task").iterdir()
                ]
            except (FileNotFoundError, ProcessLookupError):
                break  # the horse is gone: nothing left to hold a lock
            if all(state in ("T", "t") for state in states):
                break
            time.sleep(0.005)


def _pg_transaction_left_open(db_url: str) -> bool:
    """Whether a connection sits inside a transaction (a frozen horse's FOR SHARE on the
    job row would hold the takeover's UPDATE until it resumes: PostgreSQL's row locks,
    not the jobs' doing)."""
    import psycopg

    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
        ).fetchone()
    return bool(row and row[0])


def _freeze_outside_a_write(horses: list[psutil.Process], db_url: str) -> None:
    """SIGSTOP the horses. A process frozen inside a write transaction holds its locks for
    everyone (SQLite: the database; PostgreSQL: the job row a takeover updates), so thaw
    and try again until the freeze lands between transactions."""
    import sqlite3

    for _ in range(50):
        for horse in horses:
            horse.send_signal(signal.SIGSTOP)
        # SIGSTOP lands asynchronously: until every thread reads as stopped, one of them
        # can still take the lock right after the check below let it go.
        _wait_until_stopped(horses)
        if not db_url.startswith("sqlite"):
            if not _pg_transaction_left_open(db_url):
                return
            for horse in horses:
                horse.send_signal(signal.SIGCONT)
            time.sleep(0.05)
            continue
        conn = sqlite3.connect(db_url.split("///", 1)[1], timeout=0.2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:
            for horse in horses:
                horse.send_signal(signal.SIGCONT)
            time.sleep(0.05)
        finally:
            conn.close()
    pytest.fail("could not freeze the work horse outside a write transaction")


def _job(job_id: int):
    with session_scope(readonly=True) as session:
        return get_job(session, job_id)


def _written(job_id: int) -> list[tuple[str, int]]:
    with session_scope(readonly=True) as session:
        rows = session.exec(
            select(Revision.node_type, Revision.node_id).where(Revision.job_id == job_id)
        ).all()
    return [(str(t), int(i)) for t, i in rows]


def test_a_frozen_worker_that_lost_its_claim_stops_on_sigcont(
    any_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    Redis.from_url(REDIS_URL).ping()
    queue = f"cs-test-{uuid.uuid4().hex[:8]}"
    calls_file = str(tmp_path / "calls.tsv")
    env = {
        "DATABASE_URL": any_db,
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": queue,
        "LLM_PROVIDER": "offline",
        "OFFLINE_LATENCY_MS": "300",
        "GENERATION_CONCURRENCY": "2",
        "JOB_HEARTBEAT_S": "0.3",
        "JOB_STALE_AFTER_S": "2",
        "CALL_LOG": calls_file,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    log = tmp_path / "workers.log"
    params = CourseParams(topic="Fencing", module_count=2, lessons_per_module=5, total_duration_minutes=150)
    with session_scope() as session:
        course_id = int(create_course(session, params=params, actor=ADMIN).id or 0)

    first = _worker(env, log)
    second = None
    try:
        job_id = int(generation.start_course(course_id=course_id, actor=ADMIN).id or 0)
        _wait(lambda: len(_written(job_id)) >= 6, 120, "some lessons", log)
        horses = psutil.Process(first.pid).children(recursive=True)
        assert horses, "no work horse to freeze"
        horse_pids = {h.pid for h in horses}
        _freeze_outside_a_write(horses, any_db)
        frozen_at = time.time()
        second = _worker(env, log)
        # the second worker's recovery loop sees the stale heartbeat and claims attempt 2
        _wait(
            lambda: _job(job_id).attempts >= 2 and _job(job_id).status == JobStatus.running,
            120,
            "takeover",
            log,
        )
        _wait(lambda: len(_written(job_id)) >= 10, 120, "progress after the takeover", log)
        resumed_at = time.time()
        for horse in horses:
            with contextlib.suppress(psutil.NoSuchProcess):
                horse.send_signal(signal.SIGCONT)
        _wait(lambda: JobStatus(_job(job_id).status).finished, 240, "the job", log)
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
        Redis.from_url(REDIS_URL).delete(f"rq:queue:{queue}")

    job = _job(job_id)
    assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
    rows = _written(job_id)
    assert len(rows) == len(set(rows)) == 1 + 2 + 10 + 10  # outline, modules, lessons, decks: once each
    calls = read_calls(calls_file)
    # the frozen horse made no call after it was resumed: it stopped at its fence
    late = [c for c in calls if c[0] in horse_pids and c[1] >= resumed_at]
    assert late == [], late
    # only calls in flight at the freeze (at most the concurrency bound) were paid twice
    per_item = Counter((step, title) for _pid, _ts, step, remediation, title in calls if not remediation)
    twice = {item: n for item, n in per_item.items() if n > 1}
    in_flight = {(c[2], c[4]) for c in calls if c[0] in horse_pids and c[1] <= frozen_at}
    assert len(twice) <= 2 and set(twice) <= in_flight, twice
    assert sum(per_item.values()) <= 21 + 2

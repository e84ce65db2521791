"""Chaos run (issue 10): one 40-lesson course job through RQ on a fresh PostgreSQL database,
while, in one run, 10 random SIGKILLs hit the workers, one work horse is frozen
(SIGSTOP) until another worker takes its job over and then thawed (SIGCONT), the
workers' PostgreSQL link drops three times and their Redis link once. Both links go
through local TCP proxies (tests/fakes/tcp_proxy.py); the shared servers are never touched.

Calls are counted at the provider (tests/fakes/counting_worker.py logs every offline call
the moment it is made). Prints: lessons written, duplicate writes, calls paid twice (and
how many of those were in flight at a SIGKILL/SIGSTOP, which no fencing can save),
uncosted calls (provider calls without an llm_calls row), final status.

    .venv/bin/python bench/chaos.py [--seed 1] [--lessons 40]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from redis import Redis  # noqa: E402

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lessons", type=int, default=40, help="a multiple of 5")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    name = f"cs_chaos_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    queue = f"cs-chaos-{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="cs-chaos-"))
    calls_file = work / "calls.tsv"
    log = work / "workers.log"
    settings = {
        "LLM_PROVIDER": "offline",
        "OFFLINE_LATENCY_MS": "400",
        "GENERATION_CONCURRENCY": "2",
        "JOB_HEARTBEAT_S": "0.5",
        "JOB_STALE_AFTER_S": "3",
        "JOB_MAX_ATTEMPTS": "40",
        "RQ_QUEUE": queue,
        "CALL_LOG": str(calls_file),
    }
    os.environ.update({**settings, "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL})

    from core.db import dispose_engines, migrate, session_scope
    from core.settings import reset_settings
    from tests.fakes.tcp_proxy import TcpProxy

    reset_settings()
    migrate(db_url)
    db_proxy = TcpProxy(5432).start()
    redis_proxy = TcpProxy(6379).start()
    worker_env = {
        **os.environ,
        **settings,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url.replace("127.0.0.1:5432", f"127.0.0.1:{db_proxy.port}"),
        "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/0",
    }
    workers: list[subprocess.Popen[bytes]] = []

    def spawn() -> None:
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.fakes.counting_worker"],
                cwd=ROOT,
                env=worker_env,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
            )
        )

    from sqlmodel import func, select

    from core.auth import local_actor
    from core.jobs import get_job
    from core.models import JobStatus, Lesson, LLMCall, Revision
    from core.schemas import CourseParams
    from core.services import generation
    from core.services.courses import create_course

    def job_now():
        with session_scope() as session:
            return get_job(session, job_id)

    def written() -> int:
        with session_scope() as session:
            return int(
                session.exec(
                    select(func.count()).select_from(Revision).where(Revision.job_id == job_id)
                ).one()
            )

    def wait(predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def horses(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
        with contextlib.suppress(psutil.NoSuchProcess):
            return psutil.Process(proc.pid).children(recursive=True)
        return []

    def kill(proc: subprocess.Popen[bytes]) -> None:
        for victim in [*horses(proc), psutil.Process(proc.pid)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.send_signal(signal.SIGCONT)
                victim.send_signal(signal.SIGKILL)
        proc.wait(30)

    events = ["kill"] * 10 + ["stop"] + ["db"] * 3 + ["redis"]
    rng.shuffle(events)
    interrupted_calls: set[tuple[str, str]] = set()
    log_lines: list[str] = []
    started = time.monotonic()
    job_id = 0
    try:
        for _ in range(args.workers):
            spawn()
        modules = 5
        params = CourseParams(
            topic="Kubernetes operations",
            module_count=modules,
            lessons_per_module=args.lessons // modules,
            total_duration_minutes=args.lessons * 10,
        )
        with session_scope() as session:
            course_id = int(create_course(session, params=params, actor=local_actor()).id or 0)
        job_id = int(generation.start_course(course_id=course_id, actor=local_actor()).id or 0)

        from tests.fakes.counting_worker import read_calls

        def in_flight(pids: set[int], at: float) -> set[tuple[str, str]]:
            # calls of these processes started within one latency before `at`
            return {
                (c[2], c[4]) for c in read_calls(str(calls_file)) if c[0] in pids and at - 0.6 <= c[1] <= at
            }

        for event in events:
            before = written()
            # let the job make some progress between two blows
            if not wait(lambda b=before: written() >= b + 2 or JobStatus(job_now().status).finished, 180):
                log_lines.append(f"no progress before {event}")
            if JobStatus(job_now().status).finished:
                log_lines.append(f"job ended before {event}")
                break
            busy = [w for w in workers if horses(w)] or workers
            if event == "kill":
                victim = rng.choice(busy)
                pids = {h.pid for h in horses(victim)}
                interrupted_calls |= in_flight(pids, time.time())
                kill(victim)
                workers.remove(victim)
                spawn()
            elif event == "stop":
                victim = rng.choice(busy)
                frozen = horses(victim)
                attempts = job_now().attempts
                for horse in frozen:
                    horse.send_signal(signal.SIGSTOP)
                interrupted_calls |= in_flight({h.pid for h in frozen}, time.time())
                took_over = wait(lambda a=attempts: job_now().attempts > a, 120)
                base = written()
                wait(lambda b=base: written() >= b + 2, 60)
                for horse in frozen:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        horse.send_signal(signal.SIGCONT)
                log_lines.append(f"takeover after SIGSTOP: {'yes' if took_over else 'NO'}")
            elif event == "db":
                db_proxy.cut()
                time.sleep(2.0)  # the outage itself
                db_proxy.restore()
            elif event == "redis":
                redis_proxy.cut()
                time.sleep(3.0)
                redis_proxy.restore()
            log_lines.append(f"{time.monotonic() - started:6.1f}s {event}")
        wait(lambda: JobStatus(job_now().status).finished, 600)
        job = job_now()
        elapsed = time.monotonic() - started
        with session_scope() as session:
            lessons_written = int(
                session.exec(
                    select(func.count())
                    .select_from(Lesson)
                    .where(Lesson.course_id == course_id, Lesson.detail_status == "generated")
                ).one()
            )
            rows = session.exec(
                select(Revision.node_type, Revision.node_id).where(Revision.job_id == job_id)
            ).all()
            costed = int(
                session.exec(select(func.count()).select_from(LLMCall).where(LLMCall.job_id == job_id)).one()
            )
        duplicates = sum(n - 1 for n in Counter(rows).values() if n > 1)
        calls = read_calls(str(calls_file))
        per_item = Counter((c[2], c[4]) for c in calls if not c[3])
        twice = {item: n - 1 for item, n in per_item.items() if n > 1}
        repeated = sum(twice.values())
        repeated_interrupted = sum(n for item, n in twice.items() if item in interrupted_calls)
        print("\n".join(log_lines))
        print(f"database              PostgreSQL {name} (fresh), RQ queue {queue}, {args.workers} workers")
        print(f"chaos                 {events.count('kill')} SIGKILL, 1 SIGSTOP/SIGCONT takeover, "
              f"{db_proxy.cuts} DB drops, {redis_proxy.cuts} Redis cut")  # fmt: skip
        print(f"lessons written       {lessons_written}/{args.lessons}")
        print(f"duplicate writes      {duplicates}")
        print(f"provider calls        {len(calls)} for {len(per_item)} items, job attempts {job.attempts}")
        print(
            f"calls paid twice      {repeated} ({repeated_interrupted} of them started <2.5s before a SIGKILL/SIGSTOP)"
        )
        print(
            f"uncosted calls        {max(0, len(calls) - costed)} (provider calls {len(calls)}, llm_calls rows {costed})"
        )
        print(f"final status          {job.status} {job.error_code or ''} {job.error_detail or ''}".rstrip())
        print(f"elapsed               {elapsed:.0f}s; logs in {work}")
        return (
            0
            if job.status == JobStatus.succeeded and lessons_written == args.lessons and not duplicates
            else 1
        )
    finally:
        for proc in workers:
            with contextlib.suppress(Exception):
                kill(proc)
        db_proxy.close()
        redis_proxy.close()
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(f"rq:*{queue}*"):
            redis.delete(key)
        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())

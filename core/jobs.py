"""Jobs: the table pages read, the task registry, and two runners (RQ and in-process).

The jobs table, not the queue, decides what runs: a job is claimed with a conditional
UPDATE, kept alive by a heartbeat, and a job whose heartbeat went stale is re-queued (or
failed once it has used its attempts). Claiming is idempotent, so a job handed to a
runner twice still runs once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import AppError, Code, NotFound
from core.models import Job, JobStatus, utcnow
from core.settings import get_settings

log = logging.getLogger(__name__)

TaskFn = Callable[["JobContext"], dict[str, Any] | None]
TASKS: dict[str, TaskFn] = {}
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class JobCanceled(Exception):
    """Raised inside a task when the user asked to cancel; the job ends as canceled."""


class JobDeferred(Exception):
    """issue-14: raised by a task that waits on an outside service (a HeyGen render).

    The job goes back to queued without using up an attempt and is handed to the runner
    again after `delay_s`: no worker is held busy between polls. Anything the task must
    not repeat (a paid submission) is recorded before it raises.
    """

    def __init__(self, delay_s: float, detail: str = "") -> None:
        super().__init__(detail or f"waiting {delay_s:.1f}s")
        self.delay_s = max(0.0, delay_s)


def task(kind: str) -> Callable[[TaskFn], TaskFn]:
    """Register a task function for a job kind."""

    def register(fn: TaskFn) -> TaskFn:
        TASKS[kind] = fn
        return fn

    return register


def _load_tasks() -> None:
    # Services register their tasks on import.
    import core.services.evals
    import core.services.exports
    import core.services.generation
    import core.services.prompt_lab
    import core.services.video  # noqa: F401  (issue-14)


# ---------------------------------------------------------------- job store


def create_job(
    session: Session,
    *,
    kind: str,
    course_id: int | None = None,
    payload: dict[str, Any] | None = None,
    steps: list[str] | None = None,
) -> Job:
    settings = get_settings()
    job = Job(
        kind=kind,
        course_id=course_id,
        payload=payload or {},
        steps=[{"name": s, "label": s, "status": "queued", "detail": ""} for s in steps or []],
        max_attempts=settings.JOB_MAX_ATTEMPTS,
        runner="rq" if settings.REDIS_URL else "inprocess",
    )
    session.add(job)
    session.flush()
    return job


def start_job(
    *,
    kind: str,
    course_id: int | None = None,
    payload: dict[str, Any] | None = None,
    unique: bool = False,
) -> Job:
    """Create a job in its own transaction, then hand it to the runner.

    `unique=True`: if a job of this kind for this course is still queued or running, that
    job is returned instead of a second one (a double click never pays twice).
    """
    _load_tasks()
    if kind not in TASKS:
        raise AppError(Code.VALIDATION, f"unknown job kind {kind!r}")
    with session_scope() as session:
        if unique and course_id is not None:
            active = session.exec(
                select(Job)
                .where(
                    Job.kind == kind,
                    Job.course_id == course_id,
                    col(Job.status).in_((JobStatus.queued, JobStatus.running)),
                )
                .order_by(col(Job.id).desc())
                .limit(1)
            ).first()
            if active is not None:
                return active
        job = create_job(session, kind=kind, course_id=course_id, payload=payload)
    submit(int(job.id or 0))
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


def list_jobs(session: Session, *, course_id: int | None = None, limit: int = 100) -> list[Job]:
    query = select(Job).order_by(col(Job.id).desc()).limit(limit)
    if course_id is not None:
        query = query.where(Job.course_id == course_id)
    return list(session.exec(query))


def latest_job(session: Session, *, course_id: int, kinds: tuple[str, ...]) -> Job | None:
    """The newest job of these kinds for a course: what a page picks up after a reload."""
    query = (
        select(Job)
        .where(Job.course_id == course_id, col(Job.kind).in_(kinds))
        .order_by(col(Job.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def request_cancel(session: Session, job_id: int) -> Job:
    """Queued jobs end at once; a running job stops before its next model call."""
    job = get_job(session, job_id)
    if JobStatus(job.status).finished:
        return job
    job.cancel_requested = True
    if job.status == JobStatus.queued:
        job.status = JobStatus.canceled
        job.finished_at = utcnow()
        job.error_code = Code.JOB_CANCELED
        job.error_detail = "canceled before it started"
    session.add(job)
    return job


def retry_job(job_id: int, *, budget_usd: float | None = None) -> Job:
    """Put a failed or canceled job back in the queue; finished work inside it is kept.

    `budget_usd` replaces the job's budget (for a job stopped by E.BUDGET.EXCEEDED).
    """
    with session_scope() as session:
        job = get_job(session, job_id)
        if budget_usd is not None:
            job.payload = {**job.payload, "budget_usd": budget_usd}
        if job.status not in (JobStatus.failed, JobStatus.canceled):
            raise AppError(
                Code.VALIDATION, f"job {job_id} is {job.status}; only failed or canceled jobs can be retried"
            )
        job.status = JobStatus.queued
        job.cancel_requested = False
        job.error_code = None
        job.error_detail = None
        job.attempts = 0
        job.finished_at = None
        session.add(job)
    submit(job_id)
    return job


# ---------------------------------------------------------------- execution


class JobContext:
    """What a task sees: its job's payload, and ways to report and to stop.

    Step updates from the fan-out threads are coalesced and written by one reporter
    thread, which also beats the heartbeat and reads the cancel flag: the hot path of a
    lesson never waits on a progress write.
    """

    FLUSH_INTERVAL_S = 0.25

    def __init__(self, job: Job) -> None:
        self.job_id = int(job.id or 0)
        self.kind = job.kind
        self.course_id = job.course_id
        self.payload = dict(job.payload)
        self.attempt = job.attempts
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, str]] = {}
        # What a task resolves once per job (e.g. prompt versions), shared by its threads.
        self.memo: dict[str, Any] = {}
        self._canceled = bool(job.cancel_requested)
        budget = job.payload.get("budget_usd")
        self.budget_usd: float | None = float(budget) if budget is not None else None
        # A resumed attempt starts from what earlier attempts already spent.
        self.spent_usd = _spent(self.job_id)
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._reporter: threading.Thread | None = None

    # ---- lifecycle (execute() owns it)

    def start_reporting(self, heartbeat_s: float) -> None:
        self._reporter = threading.Thread(
            target=self._report_loop, args=(heartbeat_s,), daemon=True, name=f"job-{self.job_id}-reporter"
        )
        self._reporter.start()

    def stop_reporting(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._reporter is not None:
            self._reporter.join(30)
        self.flush()

    def _report_loop(self, heartbeat_s: float) -> None:
        while not self._stopped.is_set():
            self._wake.wait(heartbeat_s)
            if self._stopped.is_set():
                return
            # Let a burst of step updates from several threads land in one write.
            self._stopped.wait(self.FLUSH_INTERVAL_S)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a missed beat is retried on the next tick
                log.warning("progress write for job %s failed", self.job_id, exc_info=True)

    def flush(self) -> None:
        """Write pending step updates and the heartbeat; pick up a cancel request."""
        with self._lock:
            pending, self._pending = self._pending, {}
        with session_scope() as session:
            job = session.get(Job, self.job_id)
            if job is None:
                return
            if pending:
                steps = [dict(s) for s in job.steps]
                index = {s["name"]: s for s in steps}
                for name, (status, detail) in pending.items():
                    if name in index:
                        index[name]["status"], index[name]["detail"] = status, detail
                    else:
                        steps.append({"name": name, "label": name, "status": status, "detail": detail})
                job.steps = steps
                finished = sum(1 for s in steps if s["status"] in FINISHED_STEP_STATES)
                job.progress = round(finished / len(steps), 4) if steps else 0.0
            job.heartbeat_at = utcnow()
            self._note_cancel(bool(job.cancel_requested))
            session.add(job)

    # ---- what tasks call

    def set_steps(self, steps: list[tuple[str, str]]) -> None:
        """Declare (name, label) steps, keeping the status a previous attempt reached."""
        with session_scope() as session:
            job = session.get(Job, self.job_id)
            if job is None:
                return
            old = {s["name"]: s for s in job.steps}
            job.steps = [
                {**old.get(name, {"name": name, "status": "queued", "detail": ""}), "label": label}
                for name, label in steps
            ]
            job.heartbeat_at = utcnow()
            session.add(job)

    def done_steps(self) -> set[str]:
        with session_scope() as session:
            job = session.get(Job, self.job_id)
            return {s["name"] for s in (job.steps if job else []) if s["status"] in ("done", "skipped")}

    def step(self, name: str, status: str, detail: str = "") -> None:
        with self._lock:
            self._pending[name] = (status, detail)
        if self._reporter is None:
            self.flush()  # no reporter thread (a task called outside execute())
        else:
            self._wake.set()

    def check_cancel(self) -> None:
        """Raise JobCanceled if the user asked. Read fresh each time (a one-column read):
        a cancel takes effect before the very next model call."""
        if not self._canceled:
            with session_scope(readonly=True) as session:
                flag = session.exec(select(Job.cancel_requested).where(Job.id == self.job_id)).first()
            self._note_cancel(bool(flag))
        if self._canceled:
            raise JobCanceled()

    def charge(self, cost_usd: float) -> None:
        with self._lock:
            self.spent_usd += cost_usd

    def check_budget(self) -> None:
        """Refuse the next model call once the job has spent its budget (if it has one)."""
        if self.budget_usd is not None and self.spent_usd >= self.budget_usd:
            raise AppError(
                Code.BUDGET_EXCEEDED,
                f"this job has spent ${self.spent_usd:.4f} of its ${self.budget_usd:.4f} budget; "
                "retry it with a larger budget to finish",
            )

    def _note_cancel(self, flag: bool) -> None:
        self._canceled = self._canceled or flag


FINISHED_STEP_STATES = ("done", "skipped", "draft", "failed")


def _spent(job_id: int) -> float:
    from sqlalchemy import func

    from core.models import LLMCall

    with session_scope(readonly=True) as session:
        total = session.exec(select(func.sum(LLMCall.cost_usd)).where(LLMCall.job_id == job_id)).first()
    return float(total or 0.0)


def _claim(job_id: int) -> Job | None:
    """Take the job if it is queued, or running with a stale heartbeat; else None."""
    settings = get_settings()
    now = utcnow()
    stale = now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    with session_scope() as session:
        claimed = session.execute(
            update(Job)
            .execution_options(synchronize_session=False)
            .where(
                col(Job.id) == job_id,
                or_(
                    col(Job.status) == JobStatus.queued,
                    (col(Job.status) == JobStatus.running) & (col(Job.heartbeat_at) < stale),
                ),
            )
            .values(
                status=JobStatus.running,
                attempts=Job.attempts + 1,
                worker=WORKER_ID,
                started_at=now,
                heartbeat_at=now,
            )
        ).rowcount
        if claimed != 1:
            return None
        job = session.get(Job, job_id)
        session.refresh(job)
        return job


def _finish(job_id: int, status: JobStatus, **values: Any) -> None:
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        job.status = status
        job.finished_at = utcnow()
        job.heartbeat_at = job.finished_at
        for key, value in values.items():
            setattr(job, key, value)
        session.add(job)


def execute(job_id: int) -> str:
    """Run one job to its end in this process. Returns the final status."""
    _load_tasks()
    job = _claim(job_id)
    if job is None:
        with session_scope() as session:
            current = session.get(Job, job_id)
            return str(current.status) if current else "missing"
    if job.attempts > job.max_attempts:
        _finish(
            job_id,
            JobStatus.failed,
            error_code=Code.JOB_ORPHANED,
            error_detail=f"gave up after {job.max_attempts} attempts",
        )
        return JobStatus.failed
    fn = TASKS.get(job.kind)
    if fn is None:
        _finish(
            job_id, JobStatus.failed, error_code=Code.INTERNAL, error_detail=f"no task for kind {job.kind}"
        )
        return JobStatus.failed

    ctx = JobContext(job)
    ctx.start_reporting(get_settings().JOB_HEARTBEAT_S)
    status, values = JobStatus.succeeded, {"progress": 1.0}
    deferred: JobDeferred | None = None
    try:
        ctx.check_cancel()
        values["result"] = fn(ctx) or {}
    except JobDeferred as exc:
        deferred = exc
    except JobCanceled:
        status, values = (
            JobStatus.canceled,
            {"error_code": Code.JOB_CANCELED, "error_detail": "canceled by the user"},
        )
    except AppError as exc:
        log.warning("job %s failed: %s", job_id, exc)
        status, values = JobStatus.failed, {"error_code": exc.code, "error_detail": exc.message}
    except Exception as exc:
        log.exception("job %s crashed", job_id)
        status = JobStatus.failed
        values = {"error_code": Code.INTERNAL, "error_detail": f"{type(exc).__name__}: {exc}"}
    finally:
        # The last step updates land before the job reads as finished: a page or test
        # that sees the final status also sees every step's final state.
        ctx.stop_reporting()
    if deferred is not None:
        _defer(job_id, deferred.delay_s)
        return JobStatus.queued
    _finish(job_id, status, **values)
    return status


def _defer(job_id: int, delay_s: float) -> None:
    """issue-14: back to queued (the attempt is given back), then run again after a delay."""
    with session_scope() as session:
        moved = session.execute(
            update(Job)
            .execution_options(synchronize_session=False)
            .where(col(Job.id) == job_id, col(Job.status) == JobStatus.running)
            .values(status=JobStatus.queued, attempts=Job.attempts - 1, heartbeat_at=utcnow(), worker=None)
        ).rowcount
    if moved == 1:
        schedule(job_id, delay_s)


def schedule(job_id: int, delay_s: float) -> None:
    """issue-14: hand a job to the runner after `delay_s` (a timer, or RQ's scheduler).

    A lost timer (the process died) is harmless: queued jobs are handed out again at start
    (in-process) and RQ keeps scheduled jobs in Redis.
    """
    if not get_settings().REDIS_URL:
        timer = threading.Timer(delay_s, submit, args=(job_id,))
        timer.daemon = True
        timer.start()
        return
    queue = rq_queue()
    queue.enqueue_in(
        timedelta(seconds=delay_s),
        "workers.tasks.run_job",
        job_id,
        # A distinct id: the run that deferred is still "started" under the main id.
        job_id=f"{rq_job_id(job_id)}-at-{time.time_ns()}",
        job_timeout=get_settings().RQ_JOB_TIMEOUT_S,
        result_ttl=600,
        failure_ttl=86400,
    )


def recover_orphans() -> list[int]:
    """Re-queue running jobs whose heartbeat went stale (their process died).

    The conditional UPDATE makes recovery safe to run from several processes at once.
    Jobs past their attempts are failed with E.JOB.ORPHANED rather than left running.
    """
    settings = get_settings()
    stale = utcnow() - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    recovered: list[int] = []
    with session_scope() as session:
        ids = list(
            session.exec(select(Job.id).where(Job.status == JobStatus.running, col(Job.heartbeat_at) < stale))
        )
    for job_id in ids:
        with session_scope() as session:
            job = session.get(Job, job_id)
            exhausted = job is not None and job.attempts >= job.max_attempts
            values: dict[str, Any] = (
                {
                    "status": JobStatus.failed,
                    "error_code": Code.JOB_ORPHANED,
                    "finished_at": utcnow(),
                    "error_detail": f"worker died; gave up after {job.attempts if job else 0} attempts",
                }
                if exhausted
                else {"status": JobStatus.queued}
            )
            moved = session.execute(
                update(Job)
                .execution_options(synchronize_session=False)
                .where(
                    col(Job.id) == job_id, col(Job.status) == JobStatus.running, col(Job.heartbeat_at) < stale
                )
                .values(**values)
            ).rowcount
        if moved == 1 and not exhausted:
            recovered.append(int(job_id))
            submit(int(job_id), replace=True)
    return recovered


def resubmit_queued(runner: str) -> list[int]:
    """Hand queued jobs of a runner to it again (the in-process queue dies with its process)."""
    with session_scope() as session:
        ids = [
            int(i)
            for i in session.exec(select(Job.id).where(Job.status == JobStatus.queued, Job.runner == runner))
        ]
    for job_id in ids:
        submit(job_id)
    return ids


# ---------------------------------------------------------------- runners

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _inprocess_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="job")
        return _pool


def rq_queue() -> Any:
    from redis import Redis
    from rq import Queue

    settings = get_settings()
    return Queue(settings.RQ_QUEUE, connection=Redis.from_url(str(settings.REDIS_URL)))


def rq_job_id(job_id: int) -> str:
    return f"course-studio-job-{job_id}"


def submit(job_id: int, *, replace: bool = False) -> None:
    """Hand a job to the configured runner. Safe to call twice: execution claims first."""
    if not get_settings().REDIS_URL:
        _inprocess_pool().submit(execute, job_id)
        return
    from rq import Retry
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    queue = rq_queue()
    rq_id = rq_job_id(job_id)
    try:
        existing = RQJob.fetch(rq_id, connection=queue.connection)
        if not replace and existing.get_status(refresh=True) in (
            "queued",
            "started",
            "scheduled",
            "deferred",
        ):
            return
        # A dead worker's entry would otherwise linger in the started registry.
        existing.delete()
    except NoSuchJobError:
        pass
    queue.enqueue(
        "workers.tasks.run_job",
        job_id,
        job_id=rq_id,
        # Should a work horse die, RQ hands the id over again; the claim makes that safe.
        retry=Retry(max=2, interval=[15, 60]),
        job_timeout=get_settings().RQ_JOB_TIMEOUT_S,
        result_ttl=3600,
        failure_ttl=86400,
    )


def wait_for(job_id: int, *, timeout: float = 60.0, poll: float = 0.05) -> Job:
    """Block until a job finishes (command line and tests); raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as session:
            job = get_job(session, job_id)
        if JobStatus(job.status).finished:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job.status} after {timeout}s")
        time.sleep(poll)

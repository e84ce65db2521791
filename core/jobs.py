"""Jobs: the table pages read, task lookup, and two runners (RQ and in-process).

The jobs table, not the queue, decides what runs: a job is claimed with a conditional
UPDATE, kept alive by a heartbeat, and a job whose heartbeat went stale is re-queued (or
failed once it has used its attempts). Claiming is idempotent, so a job handed to a
runner twice still runs once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import instrument
from core.auth import Actor, Can, require
from core.db import (
    db_retry,
    get_or_404,
    id_of,
    is_transient,
    read_session,
    rowcount,
    session_scope,
    stored_ids,
)
from core.errors import AppError, Code
from core.job_kinds import KINDS, resolve
from core.logs import redact
from core.models import ACTIVE_JOB_STATUSES, Job, JobStatus, utcnow
from core.settings import get_settings
from core.spending import check_caps

log = logging.getLogger(__name__)

TaskFn = Callable[["JobContext"], dict[str, Any] | None]
# Tasks registered directly (tests, plugins); every other kind is found through
# core.job_kinds by dotted path, so this module never imports a service.
TASKS: dict[str, TaskFn] = {}
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class JobCanceled(Exception):
    """Raised inside a task when the user asked to cancel; the job ends as canceled."""


class ClaimLost(Exception):
    """Raised inside a task whose claim was taken over (its fencing token, the attempt
    number, is no longer the job's): this worker stops and writes nothing more."""


class JobInterrupted(Exception):
    """Raised inside a task whose process is stopping it (e.g. `generate --timeout`):
    the job goes back to queued, resumable, with its finished work kept."""


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
    """Register a task function for a job kind directly (tests; core.job_kinds names the rest)."""

    def register(fn: TaskFn) -> TaskFn:
        TASKS[kind] = fn
        return fn

    return register


def known_kind(kind: str) -> bool:
    return kind in TASKS or kind in KINDS


def task_for(kind: str) -> TaskFn | None:
    """The task of a kind; imports only the module that holds it. None for an unknown kind."""
    if kind in TASKS:
        return TASKS[kind]
    entry = KINDS.get(kind)
    if entry is None:
        return None
    fn = resolve(entry.task)
    if not callable(fn):
        raise TypeError(f"task of job kind {kind!r} ({entry.task}) is not callable")
    return fn  # type: ignore[no-any-return]


def load_all_tasks() -> None:
    """Import every kind's task now: a worker does this before it forks a work horse per
    job, so a wrong path in core.job_kinds stops it at start and horses fork warm."""
    for kind in KINDS:
        task_for(kind)


# ---------------------------------------------------------------- job store


def create_job(
    session: Session,
    *,
    kind: str,
    course_id: int | None = None,
    payload: dict[str, Any] | None = None,
    steps: list[str] | None = None,
    singleton: bool = False,
    started_by: str | None = None,
) -> Job:
    settings = get_settings()
    job = Job(
        kind=kind,
        course_id=course_id,
        started_by=started_by,
        payload=payload or {},
        steps=[{"name": s, "label": s, "status": "queued", "detail": ""} for s in steps or []],
        max_attempts=settings.JOB_MAX_ATTEMPTS,
        runner="rq" if settings.REDIS_URL else "inprocess",
        singleton=singleton,
    )
    session.add(job)
    session.flush()
    return job


# issue 9: what starting a job of each kind needs (core.job_kinds holds it per kind).
KIND_NEEDS: dict[str, Can] = {kind: entry.needs for kind, entry in KINDS.items()}
# Kinds that never call a model: no spending-cap check.
FREE_KINDS = frozenset(kind for kind, entry in KINDS.items() if entry.free)


def start_job(
    *,
    kind: str,
    actor: Actor,
    course_id: int | None = None,
    payload: dict[str, Any] | None = None,
    unique: bool = False,
    estimate_usd: float = 0.0,
) -> Job:
    """Create a job in its own transaction, then hand it to the runner.

    `unique=True`: if a job of this kind for this course is still queued or running, that
    job is returned instead of a second one (a double click never pays twice).
    The actor must be allowed to start this kind, and is recorded as `started_by`; a job
    that calls a model is refused here when it would pass a spending cap.
    """
    require(actor, KIND_NEEDS.get(kind, Can.generate))
    if not known_kind(kind):
        raise AppError(Code.VALIDATION, f"unknown job kind {kind!r}")
    singleton = unique and course_id is not None
    budget = (payload or {}).get("budget_usd")
    if budget is not None and not (isinstance(budget, int | float) and math.isfinite(budget) and budget > 0):
        # issue 10: NaN/inf would pass every comparison check later and never stop a job.
        raise AppError(
            Code.VALIDATION, f"budget_usd must be a finite positive number of US dollars, got {budget!r}"
        )

    if kind not in FREE_KINDS:
        with session_scope(readonly=True) as session:
            check_caps(session, email=actor.label, estimate_usd=estimate_usd)

    def insert() -> tuple[Job, bool]:
        with session_scope() as session:
            if singleton:
                active = _active_job(session, kind=kind, course_id=course_id)
                if active is not None:
                    return active, False
            return create_job(
                session,
                kind=kind,
                course_id=course_id,
                payload=payload,
                singleton=singleton,
                started_by=actor.label,
            ), True

    try:
        job, created = db_retry(insert, what="starting a job")
    except IntegrityError:
        # Another click inserted the same (course, kind) between our read and our insert:
        # the partial unique index refused ours; that click's job is the one.
        if not singleton:
            raise
        with session_scope(readonly=True) as session:
            active = _active_job(session, kind=kind, course_id=course_id)
        if active is None:
            raise
        job, created = active, False
    if created:
        enqueue_safely(id_of(job))
    else:
        ensure_enqueued(job)
    return job


def _active_job(session: Session, *, kind: str, course_id: int | None) -> Job | None:
    return session.exec(
        select(Job)
        .where(
            Job.kind == kind,
            Job.course_id == course_id,
            col(Job.singleton).is_(True),
            col(Job.status).in_(ACTIVE_JOB_STATUSES),
        )
        .order_by(col(Job.id).desc())
        .limit(1)
    ).first()


def get_job(session: Session, job_id: int) -> Job:
    return get_or_404(session, Job, job_id, "job")


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


def request_cancel(session: Session, job_id: int, *, actor: Actor) -> Job:
    """Queued jobs end at once; a running job stops before its next model call."""
    require(actor, Can.jobs)
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


def retry_job(job_id: int, *, actor: Actor, budget_usd: float | None = None) -> Job:
    """Put a failed or canceled job back in the queue; finished work inside it is kept.

    `budget_usd` replaces the job's budget (for a job stopped by E.BUDGET.EXCEEDED).
    """
    require(actor, Can.jobs)
    retryable = (JobStatus.failed, JobStatus.canceled, JobStatus.partial)
    if budget_usd is not None and not (math.isfinite(budget_usd) and budget_usd > 0):
        raise AppError(Code.VALIDATION, f"budget_usd must be a finite positive number, got {budget_usd!r}")
    try:
        with session_scope() as session:
            job = get_job(session, job_id)
            if budget_usd is not None:
                job.payload = {**job.payload, "budget_usd": budget_usd}
            if job.status not in retryable:
                raise AppError(
                    Code.VALIDATION,
                    f"job {job_id} is {job.status}; only failed, partial or canceled jobs can be retried",
                )
            if job.kind not in FREE_KINDS:
                check_caps(session, email=actor.label)
            job.status = JobStatus.queued
            job.cancel_requested = False
            job.error_code = None
            job.error_detail = None
            job.attempts = 0
            job.finished_at = None
            # When it was queued: the reconciliation's grace period counts from here.
            job.heartbeat_at = utcnow()
            session.add(job)
    except IntegrityError as exc:
        raise AppError(
            Code.VALIDATION,
            f"another {job.kind} job for this course is queued or running; wait for it to end first",
        ) from exc
    # RQ may still hold this id as a dead "started" entry: replace it, or the retry would
    # sit unqueued (no scheduler runs beside the workers).
    enqueue_safely(job_id, replace=True)
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
        self.job_id = id_of(job)
        self.kind = job.kind
        self.course_id = job.course_id
        self.started_by = job.started_by
        self.payload = dict(job.payload)
        self.attempt = job.attempts
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, str]] = {}
        # What a task resolves once per job (e.g. prompt versions), shared by its threads.
        self.memo: dict[str, Any] = {}
        self._canceled = bool(job.cancel_requested)
        # issue 10: fencing. The attempt number this process claimed the job with; once
        # the job's attempts moved on (another worker took over) nothing here may call or write.
        self.fence = job.attempts
        self._lost = False
        self._interrupt = threading.Event()
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
        try:
            db_retry(self.flush, what=f"last progress write of job {self.job_id}")
        except Exception:  # the outcome is still written (or the job resumed) after this
            log.warning("last progress write for job %s failed", self.job_id, exc_info=True)

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
            if not self._holds(job):
                # Taken over while this process was frozen: never beat for the new owner.
                self._lost = True
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
            self.assert_claim(session)
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
            self._pending[name] = (status, redact(detail))
        if self._reporter is None:
            self.flush()  # no reporter thread (a task called outside execute())
        else:
            self._wake.set()

    def check_cancel(self) -> None:
        """Before every model call: raise JobCanceled if the user asked, ClaimLost if
        another worker took the job over (fencing), JobInterrupted if this process is
        stopping the job. Read fresh each time (one small row)."""
        if self._interrupt.is_set():
            raise JobInterrupted()
        if not self._lost:
            row = db_retry(self._read_claim, what=f"claim check of job {self.job_id}")
            if row is None:
                self._lost = True
            else:
                cancel, status, attempts = row
                self._note_cancel(bool(cancel))
                self._lost = status != JobStatus.running or attempts != self.fence
        if self._lost:
            raise ClaimLost()
        if self._canceled:
            raise JobCanceled()

    def _read_claim(self) -> tuple[bool, str, int] | None:
        with session_scope(readonly=True) as session:
            row = session.exec(
                select(Job.cancel_requested, Job.status, Job.attempts).where(Job.id == self.job_id)
            ).first()
        return None if row is None else (bool(row[0]), str(row[1]), int(row[2]))

    def _holds(self, job: Job) -> bool:
        return job.status == JobStatus.running and job.attempts == self.fence

    def assert_claim(self, session: Session) -> None:
        """Inside a write transaction: raise ClaimLost unless this process still holds
        the job. On PostgreSQL the row is read FOR SHARE, so a takeover (an UPDATE of the
        row) waits until this write commits; SQLite's BEGIN IMMEDIATE already serializes."""
        row = session.exec(
            select(Job.status, Job.attempts).where(Job.id == self.job_id).with_for_update(read=True)
        ).first()
        if row is None or row[0] != JobStatus.running or row[1] != self.fence:
            self._lost = True
            raise ClaimLost()

    def interrupt(self) -> None:
        """Stop the job before its next model call and leave it resumable."""
        self._interrupt.set()

    @property
    def lost(self) -> bool:
        return self._lost

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

        # issue 9: the spending caps hold mid-run too (other jobs spend at the same time).
        def read() -> None:
            with session_scope(readonly=True) as session:
                check_caps(session, email=self.started_by)

        db_retry(read, what=f"spending caps of job {self.job_id}")

    def _note_cancel(self, flag: bool) -> None:
        self._canceled = self._canceled or flag


FINISHED_STEP_STATES = ("done", "skipped", "draft", "failed")


class FencedProvider:
    """A provider that checks the job's claim and cancel flag before every call, the
    remediation retry included: a worker that lost its claim never pays for another call."""

    def __init__(self, provider: Any, ctx: JobContext) -> None:
        self._provider = provider
        self._ctx = ctx
        self.name = provider.name

    def complete(self, request: Any) -> Any:
        self._ctx.check_cancel()
        return self._provider.complete(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


def fenced(ctx: JobContext, provider: Any) -> FencedProvider:
    return FencedProvider(provider, ctx)


def _spent(job_id: int) -> float:
    from sqlalchemy import func

    from core.models import LLMCall

    with session_scope(readonly=True) as session:
        total = session.exec(select(func.sum(LLMCall.cost_usd)).where(LLMCall.job_id == job_id)).first()
    return float(total or 0.0)


def _claim(job_id: int) -> Job | None:
    """Take the job if it is queued, or running with a stale heartbeat; else None.

    The claim raises `attempts`: that number is the claim's fencing token."""
    settings = get_settings()
    now = utcnow()
    stale = now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    with session_scope() as session:
        claimed = rowcount(
            session.execute(
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
                    # a note left by an interrupted attempt no longer applies
                    error_code=None,
                    error_detail=None,
                )
            )
        )
        if claimed != 1:
            return None
        job = session.get(Job, job_id)
        session.refresh(job)
        return job


def _finish(job_id: int, status: JobStatus, *, fence: int | None = None, **values: Any) -> bool:
    """End a job. With `fence`, only while that claim still holds (a worker that was
    taken over never overwrites the new owner's outcome). Returns whether it was written."""
    if values.get("error_detail"):
        values["error_detail"] = redact(str(values["error_detail"]))
    now = utcnow()
    query = update(Job).execution_options(synchronize_session=False).where(col(Job.id) == job_id)
    if fence is not None:
        query = query.where(col(Job.attempts) == fence, col(Job.status) == JobStatus.running)

    def write() -> int:
        with session_scope() as session:
            return rowcount(
                session.execute(query.values(status=status, finished_at=now, heartbeat_at=now, **values))
            )

    return db_retry(write, what=f"finishing job {job_id}") == 1


def _release(job_id: int, fence: int, detail: str) -> None:
    """Put an interrupted job back in the queue without using up an attempt."""

    def write() -> None:
        with session_scope() as session:
            session.execute(
                update(Job)
                .execution_options(synchronize_session=False)
                .where(
                    col(Job.id) == job_id, col(Job.attempts) == fence, col(Job.status) == JobStatus.running
                )
                .values(
                    status=JobStatus.queued,
                    attempts=Job.attempts - 1,
                    heartbeat_at=utcnow(),
                    error_code=Code.JOB_INTERRUPTED,
                    error_detail=detail,
                )
            )

    db_retry(write, what=f"releasing job {job_id}")


# Contexts of the jobs this process runs, so it can interrupt them (generate --timeout).
_running: dict[int, JobContext] = {}
_running_lock = threading.Lock()


def interrupt_local(job_id: int) -> bool:
    """Ask a job running in this process to stop before its next call, resumable."""
    with _running_lock:
        ctx = _running.get(job_id)
    if ctx is None:
        return False
    ctx.interrupt()
    return True


def execute(job_id: int) -> str:
    """Run one job to its end in this process. Returns the final status."""
    job = db_retry(lambda: _claim(job_id), what=f"claiming job {job_id}")
    if job is None:
        with session_scope() as session:
            current = session.get(Job, job_id)
            return str(current.status) if current else "missing"
    fence = job.attempts
    if job.attempts > job.max_attempts:
        _finish(
            job_id,
            JobStatus.failed,
            fence=fence,
            error_code=Code.JOB_ORPHANED,
            error_detail=f"gave up after {job.max_attempts} attempts",
        )
        return JobStatus.failed
    try:
        fn, missing = task_for(job.kind), f"no task for kind {job.kind}"
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        fn, missing = None, f"the task of kind {job.kind} cannot be loaded: {exc}"
    if fn is None:
        _finish(job_id, JobStatus.failed, fence=fence, error_code=Code.INTERNAL, error_detail=missing)
        return JobStatus.failed

    ctx = JobContext(job)
    with _running_lock:
        _running[job_id] = ctx
    observed = instrument.job_started(job)  # log context, metrics, the job's span
    ctx.start_reporting(get_settings().JOB_HEARTBEAT_S)
    status = JobStatus.succeeded
    values: dict[str, Any] = {"progress": 1.0}
    outcome = "finish"
    deferred: JobDeferred | None = None
    try:
        ctx.check_cancel()
        result = dict(fn(ctx) or {})
        error_code, error_detail = result.pop("error_code", None), result.pop("error_detail", None)
        values["result"] = result
        if result.get("partial"):
            # Some lessons kept as drafts or failed: done, but not what was asked for.
            status = JobStatus.partial
            values["error_code"] = error_code
            values["error_detail"] = error_detail
    except ClaimLost:
        log.warning("job %s: claim %s was taken over; this worker stops", job_id, fence)
        outcome = "lost"
    except JobInterrupted:
        outcome = "interrupted"
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
        if is_transient(exc):
            log.warning("job %s lost the database: %s", job_id, type(exc).__name__)
            status = JobStatus.failed
            values = {
                "error_code": Code.DB_UNAVAILABLE,
                "error_detail": f"the database was unreachable ({type(exc).__name__}); retry the job to resume",
            }
        else:
            log.exception("job %s crashed", job_id)
            status = JobStatus.failed
            values = {"error_code": Code.INTERNAL, "error_detail": f"{type(exc).__name__}: {exc}"}
    finally:
        # The last step updates land before the job reads as finished: a page or test
        # that sees the final status also sees every step's final state.
        ctx.stop_reporting()
        with _running_lock:
            _running.pop(job_id, None)
    if outcome == "lost" or ctx.lost:
        return "lost"
    try:
        if deferred is not None:
            _defer(job_id, fence, deferred.delay_s)
            return JobStatus.queued
        if outcome == "interrupted":
            _release(job_id, fence, "stopped before it finished; `python -m core recover` resumes it")
            return JobStatus.queued
        if not _finish(job_id, status, fence=fence, **values):
            return "lost"
        instrument.job_finished(observed, status, values.get("error_code"), ctx.spent_usd)
    except Exception:
        # The database stayed away past the retries: the heartbeat goes stale and the
        # recovery loop resumes the job; nothing finished is lost.
        log.exception("job %s: could not record its outcome", job_id)
        return "unrecorded"
    return status


def _defer(job_id: int, fence: int, delay_s: float) -> None:
    """issue-14: back to queued (the attempt is given back), then run again after a delay.
    Only while this worker still holds the claim (its fencing token)."""

    def write() -> int:
        with session_scope() as session:
            return rowcount(
                session.execute(
                    update(Job)
                    .execution_options(synchronize_session=False)
                    .where(
                        col(Job.id) == job_id,
                        col(Job.attempts) == fence,
                        col(Job.status) == JobStatus.running,
                    )
                    .values(
                        status=JobStatus.queued, attempts=Job.attempts - 1, heartbeat_at=utcnow(), worker=None
                    )
                )
            )

    moved = db_retry(write, what=f"deferring job {job_id}")
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
    ids = [job_id for job_id, _runner in _requeue_stale()]
    for job_id in ids:
        enqueue_safely(job_id, replace=True)
    return ids


def _requeue_stale(runner: str | None = None) -> list[tuple[int, str]]:
    settings = get_settings()
    stale = utcnow() - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    moved_ids: list[tuple[int, str]] = []
    query = select(col(Job.id)).where(Job.status == JobStatus.running, col(Job.heartbeat_at) < stale)
    if runner is not None:
        query = query.where(Job.runner == runner)
    with session_scope(readonly=True) as session:
        ids = stored_ids(session.exec(query))
    for job_id in ids:
        with session_scope() as session:
            job = session.get(Job, job_id)
            if job is None:
                continue
            exhausted = job.attempts >= job.max_attempts
            values: dict[str, Any] = (
                {
                    "status": JobStatus.failed,
                    "error_code": Code.JOB_ORPHANED,
                    "finished_at": utcnow(),
                    "error_detail": f"worker died; gave up after {job.attempts} attempts",
                }
                if exhausted
                else {"status": JobStatus.queued, "heartbeat_at": utcnow()}
            )
            moved = rowcount(
                session.execute(
                    update(Job)
                    .execution_options(synchronize_session=False)
                    .where(
                        col(Job.id) == job_id,
                        col(Job.status) == JobStatus.running,
                        col(Job.heartbeat_at) < stale,
                    )
                    .values(**values)
                )
            )
            if moved == 1 and not exhausted:
                moved_ids.append((job_id, job.runner))
    return moved_ids


def resubmit_queued(runner: str) -> list[int]:
    """Hand queued jobs of a runner to it again (the in-process queue dies with its process)."""
    with session_scope() as session:
        ids = stored_ids(
            session.exec(select(col(Job.id)).where(Job.status == JobStatus.queued, Job.runner == runner))
        )
    for job_id in ids:
        enqueue_safely(job_id)
    return ids


def reconcile_queue() -> list[int]:
    """Make Redis agree with the jobs table: a job queued (for RQ) longer than the stale
    limit whose RQ entry is gone, finished, failed, or a dead "started" one is enqueued
    again. RQ is never the only record of what must run. Returns the ids enqueued."""
    settings = get_settings()
    if not settings.REDIS_URL:
        return []
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    grace = utcnow() - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    with session_scope(readonly=True) as session:
        rows = session.exec(
            select(Job.id, Job.heartbeat_at, Job.created_at).where(
                Job.status == JobStatus.queued, Job.runner == "rq"
            )
        ).all()
    queue = rq_queue()
    fixed: list[int] = []
    for job_id, heartbeat_at, created_at in rows:
        if job_id is None:  # a stored row always has one; the model types it optional
            continue
        since = heartbeat_at or created_at
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=grace.tzinfo)
        try:
            entry = RQJob.fetch(rq_job_id(job_id), connection=queue.connection)
            rq_status = entry.get_status(refresh=True)
        except NoSuchJobError:
            entry, rq_status = None, None
        if rq_status in ("queued", "scheduled", "deferred"):
            continue
        # "started" while the table still says queued: a live work horse claims within
        # moments and RQ beats for it (at least every job_monitoring_interval, 30 s), so
        # an old entry without a recent RQ heartbeat belongs to a dead one.
        if rq_status == "started" and ((since is not None and since > grace) or _rq_alive(entry)):
            continue
        submit(job_id, replace=True)
        fixed.append(job_id)
    return fixed


RQ_DEAD_AFTER_S = 90.0


def _rq_alive(entry: Any) -> bool:
    beat = entry.last_heartbeat or entry.started_at
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    return (utcnow() - beat).total_seconds() < RQ_DEAD_AFTER_S


def recovery_pass() -> dict[str, list[int]]:
    """One pass of the workers' recovery loop: stale claims, then the queue itself."""
    return {"orphans": recover_orphans(), "requeued": reconcile_queue()}


def run_foreground(on_tick: Callable[[Job], None] | None = None) -> list[tuple[int, str]]:
    """`python -m core recover` without Redis: resume orphaned and queued in-process jobs
    in this process, one after another, and wait for each (tqdm bar via `on_tick`)."""
    _requeue_stale(runner="inprocess")
    with session_scope(readonly=True) as session:
        ids = stored_ids(
            session.exec(
                select(col(Job.id))
                .where(Job.status == JobStatus.queued, Job.runner == "inprocess")
                .order_by(col(Job.id))
            )
        )
    outcomes = []
    for job_id in ids:
        outcomes.append((job_id, run_watched(job_id, on_tick=on_tick)))
    return outcomes


def run_watched(
    job_id: int, *, on_tick: Callable[[Job], None] | None = None, timeout: float | None = None
) -> str:
    """Run a job in a thread of this process while the caller's thread watches it: progress
    through `on_tick`, and past `timeout` the job is interrupted and left queued
    (resumable). The caller waits for the thread, so the interpreter never shuts down
    under a running job."""
    outcome: dict[str, str] = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault("status", execute(job_id)), name=f"job-{job_id}", daemon=False
    )
    thread.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    interrupted = False
    while thread.is_alive():
        thread.join(0.2)
        if on_tick is not None:
            with session_scope(readonly=True) as session:
                on_tick(get_job(session, job_id))
        if not interrupted and deadline is not None and time.monotonic() > deadline:
            interrupted = interrupt_local(job_id)
    return outcome.get("status", "unrecorded")


# ---------------------------------------------------------------- runners

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_inprocess_submitted: set[int] = set()
_inprocess_futures: dict[int, Future[str]] = {}
_submitted_lock = threading.Lock()


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
    # Named after the queue: RQ job ids are global in a Redis, and two deployments (or
    # test runs) sharing one must not mistake each other's job 1 for their own.
    return f"{get_settings().RQ_QUEUE}-job-{job_id}"


def _run_inprocess(job_id: int) -> str:
    try:
        return execute(job_id)
    finally:
        with _submitted_lock:
            _inprocess_submitted.discard(job_id)


def submit(job_id: int, *, replace: bool = False) -> None:
    """Hand a job to the configured runner. Safe to call twice: execution claims first."""
    if not get_settings().REDIS_URL:
        pool = _inprocess_pool()
        with _submitted_lock:
            if job_id in _inprocess_submitted and not replace:
                return
            _inprocess_submitted.add(job_id)
            _inprocess_futures[job_id] = pool.submit(_run_inprocess, job_id)
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
        # A dead worker's entry would otherwise linger in the started registry, and a
        # job enqueued under its id would never run.
        _forget_rq_job(existing, queue)
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


def _forget_rq_job(existing: Any, queue: Any) -> None:
    # RQ 2.x keeps a started job as executions in the started registry.
    with contextlib.suppress(Exception):
        existing.started_job_registry.remove_executions(existing)
    existing.delete(remove_from_queue=True)


def wait_local(job_id: int, timeout: float | None = None) -> None:
    """Wait until this process's in-process runner is done with a job (the command line
    waits so the interpreter never shuts down under a running job)."""
    with _submitted_lock:
        future = _inprocess_futures.get(job_id)
    if future is not None:
        with contextlib.suppress(Exception):
            future.result(timeout)
        with _submitted_lock:
            _inprocess_futures.pop(job_id, None)


def local_future_done(job_id: int) -> bool:
    with _submitted_lock:
        future = _inprocess_futures.get(job_id)
    return future is None or future.done()


def enqueue_safely(job_id: int, *, replace: bool = False) -> bool:
    """Enqueue, but never fail the caller when Redis is away: the job is recorded as
    queued and the recovery loop (reconcile_queue) enqueues it once Redis is back."""
    try:
        submit(job_id, replace=replace)
    except Exception as exc:
        log.warning("job %s is saved but not enqueued (%s); the recovery loop will enqueue it", job_id, exc)
        return False
    return True


def ensure_enqueued(job: Job) -> None:
    """A click that gets an existing queued job back also makes sure it can run."""
    if job.status == JobStatus.queued:
        enqueue_safely(id_of(job))


def wait_for(job_id: int, *, timeout: float = 60.0, poll: float = 0.05) -> Job:
    """Block until a job finishes (command line and tests); raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        with read_session() as session:
            job = get_job(session, job_id)
        if JobStatus(job.status).finished:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job.status} after {timeout}s")
        time.sleep(poll)

"""SQLModel tables: the current course tree, every revision, jobs, model calls, prompts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware on every backend: SQLite hands back naive values, read as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


def _json(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class NodeType(StrEnum):
    course = "course"
    module = "module"
    lesson = "lesson"
    slides = "slides"  # a lesson's deck; node_id is the lesson id
    video_script = "video_script"  # issue-14: node_id is the video_scripts id


class RevisionSource(StrEnum):
    generated = "generated"
    edited = "edited"
    imported = "imported"
    restored = "restored"


class RevisionStatus(StrEnum):
    current = "current"  # was made current when saved (history entry)
    proposal = "proposal"  # a regeneration awaiting accept/reject
    rejected = "rejected"
    draft = "draft"  # invalid model output kept so nothing is lost
    conflict = "conflict"  # a save that lost an optimistic-concurrency race, kept verbatim
    # issue 9: content the moderation/PII policy blocked, kept with its findings, never applied
    quarantined = "quarantined"
    deleted = "deleted"  # issue-12: a deleted module/lesson, its rows kept in content["_deleted"]


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"
    # issue 10: ended, but some lessons were kept as drafts or failed (counts in result)
    partial = "partial"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.canceled, JobStatus.partial)


# issue 10: statuses in which a job still holds its (course, kind) slot.
ACTIVE_JOB_STATUSES = (JobStatus.queued, JobStatus.running)


class CourseStep(StrEnum):
    parameters = "parameters"
    structure = "structure"
    lessons = "lessons"
    slides = "slides"
    export = "export"


class Course(SQLModel, table=True):
    __tablename__ = "courses"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    params: dict[str, Any] = _json()
    language: str = Field(default="en", max_length=8)
    summary: str = Field(default="", sa_type=Text)
    step: str = Field(default=CourseStep.parameters, max_length=20)
    archived: bool = False
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Module(SQLModel, table=True):
    __tablename__ = "modules"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    position: int = 0
    title: str = Field(max_length=200)
    summary: str = Field(default="", sa_type=Text)
    objectives: list[str] = _json(list)
    locked: bool = False
    version: int = 1
    current_revision_id: int | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Lesson(SQLModel, table=True):
    __tablename__ = "lessons"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    module_id: int = Field(foreign_key="modules.id", index=True)
    position: int = 0
    title: str = Field(max_length=200)
    objectives: list[str] = _json(list)
    duration_minutes: int = 10
    body_md: str = Field(default="", sa_type=Text)
    key_points: list[str] = _json(list)
    exercises: list[dict[str, Any]] = _json(list)
    quiz: list[dict[str, Any]] = _json(list)
    # pending -> generated (or draft when the model's answer failed validation)
    detail_status: str = Field(default="pending", max_length=20)
    slides_status: str = Field(default="pending", max_length=20)
    locked: bool = False
    # Optimistic concurrency: a save names the version it edited.
    version: int = 1
    slides_version: int = 1
    current_revision_id: int | None = None
    slides_revision_id: int | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class SlideRow(SQLModel, table=True):
    __tablename__ = "slides"

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lessons.id", index=True)
    position: int = 0
    title: str = Field(max_length=200)
    bullets: list[str] = _json(list)
    notes: str = Field(default="", sa_type=Text)


class Revision(SQLModel, table=True):
    __tablename__ = "revisions"
    # One revision per node per job: a resumed job never writes a node twice.
    __table_args__ = (
        UniqueConstraint("job_id", "node_type", "node_id", name="uq_revision_job_node"),
        Index("ix_revision_node", "node_type", "node_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    node_type: str = Field(max_length=20)
    node_id: int
    content: dict[str, Any] = _json()
    source: str = Field(default=RevisionSource.generated, max_length=20)
    status: str = Field(default=RevisionStatus.current, max_length=20)
    based_on_revision_id: int | None = None
    author: str = Field(default="system", max_length=120)
    note: str = Field(default="", max_length=500)
    job_id: int | None = Field(default=None, foreign_key="jobs.id")
    prompt_id: str | None = Field(default=None, max_length=100)
    prompt_version: str | None = Field(default=None, max_length=40)
    prompt_checksum: str | None = Field(default=None, max_length=80)
    model: str | None = Field(default=None, max_length=100)
    parameters: dict[str, Any] = _json()
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    error_code: str | None = Field(default=None, max_length=60)
    created_at: datetime = _ts()
    # issue 9: moderation and PII findings when the content was checked before save:
    # [{"kind", "action": block|flag|redact, "where", "sample"}] (samples are masked)
    findings: list[dict[str, Any]] = _json(list)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    # issue 10: one active singleton job per (course, kind), enforced by the database so
    # concurrent clicks on PostgreSQL cannot both insert (select-then-insert races).
    __table_args__ = (
        Index(
            "uq_jobs_active_course_kind",
            "course_id",
            "kind",
            unique=True,
            sqlite_where=text("singleton AND status IN ('queued', 'running')"),
            postgresql_where=text("singleton AND status IN ('queued', 'running')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    status: str = Field(default=JobStatus.queued, max_length=20, index=True)
    course_id: int | None = Field(default=None, foreign_key="courses.id", index=True)
    payload: dict[str, Any] = _json()
    progress: float = 0.0
    # [{"name": str, "status": queued|running|done|failed|skipped|draft, "detail": str}]
    steps: list[dict[str, Any]] = _json(list)
    result: dict[str, Any] = _json()
    error_code: str | None = Field(default=None, max_length=60)
    error_detail: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    max_attempts: int = 3
    cancel_requested: bool = False
    runner: str = Field(default="inprocess", max_length=20)
    worker: str | None = Field(default=None, max_length=200)
    # issue 10: a job of a kind that allows one active job per course (see the index)
    singleton: bool = False
    # issue 9: who started the job; llm_calls are summed per user through it.
    started_by: str | None = Field(default=None, max_length=120, index=True)
    created_at: datetime = _ts()
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LLMCall(SQLModel, table=True):
    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_created_at", "created_at"),
        Index("ix_llm_calls_model", "model"),
        Index("ix_llm_calls_prompt", "prompt_id", "prompt_version"),
        Index("ix_llm_calls_outcome", "outcome"),  # calls in flight, for the cost cache key
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: int | None = Field(default=None, foreign_key="jobs.id", index=True)
    course_id: int | None = Field(default=None, foreign_key="courses.id", index=True)
    step: str = Field(max_length=40)
    node_type: str | None = Field(default=None, max_length=20)
    node_id: int | None = None
    provider: str = Field(max_length=20)
    model: str = Field(max_length=100)
    prompt_id: str = Field(max_length=100)
    prompt_version: str = Field(max_length=40)
    prompt_checksum: str = Field(max_length=80)
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    # ok | invalid | refused | error; "started" while the call is in flight (issue 8: a row
    # still "started" after its process died is a call of unknown cost)
    outcome: str = Field(max_length=20)
    error_code: str | None = Field(default=None, max_length=60)
    remediation: bool = False  # this call was the remediation retry
    created_at: datetime = _ts()
    # Issue 8: the worst-case cost reserved before the call (input estimate + max output).
    estimated_cost_usd: float = 0.0


class PromptVersion(SQLModel, table=True):
    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("prompt_id", "version", name="uq_prompt_version"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=40)
    checksum: str = Field(max_length=80)
    owner: str = Field(max_length=120)
    changelog: str = Field(default="", sa_type=Text)
    schema_name: str = Field(max_length=60)
    defaults: dict[str, Any] = _json()
    body: dict[str, Any] = _json()  # the canonical content the checksum covers
    created_at: datetime = _ts()


class PromptLabel(SQLModel, table=True):
    __tablename__ = "prompt_labels"
    __table_args__ = (UniqueConstraint("prompt_id", "label", name="uq_prompt_label"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: str = Field(max_length=100)
    label: str = Field(max_length=40)
    version: str = Field(max_length=40)
    moved_by: str = Field(default="system", max_length=120)
    moved_at: datetime = _ts()


class PromptLabelEvent(SQLModel, table=True):
    __tablename__ = "prompt_label_events"

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: str = Field(max_length=100, index=True)
    label: str = Field(max_length=40)
    from_version: str | None = Field(default=None, max_length=40)
    to_version: str = Field(max_length=40)
    moved_by: str = Field(max_length=120)
    moved_at: datetime = _ts()


class EvalRun(SQLModel, table=True):
    __tablename__ = "eval_runs"

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: str = Field(max_length=100)
    target: str = Field(max_length=60)  # a label or a version
    provider: str = Field(max_length=20)
    scores: dict[str, Any] = _json()
    report: dict[str, Any] = _json()
    created_at: datetime = _ts()


# ---- issue 15: cost analytics ------------------------------------------------------------


class LLMCallRollup(SQLModel, table=True):
    """llm_calls summed per day and per everything an analyst filters or groups by.

    Filled incrementally up to a watermark (`RollupState`); calls past it are read live.
    Several rows may share a key (one per refresh): readers always sum.
    """

    __tablename__ = "llm_call_rollups"
    __table_args__ = (Index("ix_rollup_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=10)  # UTC, YYYY-MM-DD
    job_id: int | None = Field(default=None, index=True)
    course_id: int | None = Field(default=None)
    provider: str = Field(max_length=20)
    model: str = Field(max_length=100)
    prompt_id: str = Field(max_length=100)
    prompt_version: str = Field(max_length=40)
    step: str = Field(max_length=40)
    outcome: str = Field(max_length=20)
    calls: int = 0
    failed_calls: int = 0
    remediated_calls: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms_sum: float = 0.0


class RollupState(SQLModel, table=True):
    __tablename__ = "rollup_state"

    id: int = Field(default=1, primary_key=True)
    watermark: int = 0  # every llm_calls row with id <= watermark is in llm_call_rollups
    refreshed_at: datetime = _ts()


# ---------------------------------------------------------------- issue 9: users


class User(SQLModel, table=True):
    """A person who may sign in, with the role that decides what they may do."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)  # stored lower-case
    name: str = Field(default="", max_length=200)
    role: str = Field(default="author", max_length=20)
    active: bool = True
    # Per-user spending caps (USD); None falls back to the settings.
    daily_cap_usd: float | None = None
    monthly_cap_usd: float | None = None
    created_at: datetime = _ts()


# ---------------------------------------------------------------- issue-14: video


class VideoScript(SQLModel, table=True):
    """A lesson's narration script: a node with revisions (node_type video_script, node_id = id).

    Text is one block per slide ("## Slide title" then what is said), so a scene can be
    matched to its slide and a long lesson can be split into HeyGen scenes.
    """

    __tablename__ = "video_scripts"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    lesson_id: int = Field(foreign_key="lessons.id", unique=True)
    text: str = Field(default="", sa_type=Text)
    version: int = 1
    current_revision_id: int | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Video(SQLModel, table=True):
    """One rendered lesson video (local or HeyGen); the newest ready one is what pages and
    exports show. Files live under FILES_DIR/videos/."""

    __tablename__ = "videos"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    lesson_id: int = Field(foreign_key="lessons.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="jobs.id")
    engine: str = Field(max_length=20)  # local | heygen
    status: str = Field(default="ready", max_length=20)
    file: str = Field(max_length=500)  # relative to FILES_DIR
    captions_file: str | None = Field(default=None, max_length=500)
    duration_s: float = 0.0
    script_version: int = 0
    voice: str | None = Field(default=None, max_length=120)
    avatar: str | None = Field(default=None, max_length=120)
    created_at: datetime = _ts()


class HeygenRender(SQLModel, table=True):
    """One HeyGen video per (job, lesson, scene). The row is written before the create call
    and the video id right after it, before any poll: a resumed job polls it and never
    submits the same scene twice."""

    __tablename__ = "heygen_renders"
    __table_args__ = (UniqueConstraint("job_id", "lesson_id", "scene", name="uq_heygen_render_scene"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="jobs.id", index=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    lesson_id: int = Field(foreign_key="lessons.id")
    scene: int = 0
    video_id: str | None = Field(default=None, max_length=120, unique=True)
    # submitting -> pending -> completed | failed
    status: str = Field(default="submitting", max_length=20)
    # What a webhook said (success | fail); the worker confirms it with a status call.
    webhook_status: str | None = Field(default=None, max_length=20)
    file: str | None = Field(default=None, max_length=500)
    duration_s: float = 0.0
    credits: float = 0.0
    cost_usd: float = 0.0
    error_code: str | None = Field(default=None, max_length=60)
    error_detail: str | None = Field(default=None, sa_type=Text)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookEvent(SQLModel, table=True):
    """Every accepted webhook delivery, by the digest of its signed body: a replay is refused."""

    __tablename__ = "webhook_events"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=60)
    video_id: str | None = Field(default=None, max_length=120)
    received_at: datetime = _ts()


# ---------------------------------------------------------------- issue-17: sources


class Source(SQLModel, table=True):
    """A document a course is built from, kept as the Markdown it was converted to (the
    original bytes are not stored: only its checksum, size and what was read from it)."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("course_id", "checksum", name="uq_source_course_checksum"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=20)  # pdf | docx | pptx | html | markdown | text
    checksum: str = Field(max_length=71)  # sha256:<hex> of the uploaded bytes
    size_bytes: int = 0
    page_count: int = 0
    language: str = Field(default="", max_length=8)
    text_md: str = Field(default="", sa_type=Text)
    warnings: list[dict[str, Any]] = _json(list)  # {code, message, ...values}
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = _ts()


class SourceChunk(SQLModel, table=True):
    """One retrievable passage of a source; `key` is the stable id citations name."""

    __tablename__ = "source_chunks"
    __table_args__ = (UniqueConstraint("course_id", "key", name="uq_source_chunk_key"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    key: str = Field(max_length=40)
    position: int = 0
    heading: str = Field(default="", max_length=300)
    page: int | None = None
    text: str = Field(default="", sa_type=Text)


# ---- issue 15: prices with dates, edited by admins ---------------------------------------


class ModelPrice(SQLModel, table=True):
    """A price an admin set, in effect from a day on (UTC); layered over the shipped prices
    file (core/llm/prices.yaml). Rows are only added for days still to come and only
    withdrawn before their day, so a price a recorded call was charged at never changes."""

    __tablename__ = "model_prices"
    __table_args__ = (UniqueConstraint("model", "effective_from", name="uq_model_price_day"),)

    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(max_length=100)
    input: float  # USD per 1M tokens
    cached_input: float
    output: float
    effective_from: date
    note: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=120)
    created_at: datetime = _ts()


class CacheVersion(SQLModel, table=True):
    """issue 18: a counter per scope ("course:<id>", or "all" for bulk statements), bumped
    in the transaction of every write to the course tree; page caches key on it."""

    __tablename__ = "cache_versions"

    scope: str = Field(primary_key=True, max_length=60)
    version: int = 0

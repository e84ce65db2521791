"""SQLModel tables: the current course tree, every revision, jobs, model calls, prompts."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
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
    deleted = "deleted"  # issue-12: a deleted module/lesson, its rows kept in content["_deleted"]


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.canceled)


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


class Job(SQLModel, table=True):
    __tablename__ = "jobs"

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
    created_at: datetime = _ts()
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LLMCall(SQLModel, table=True):
    __tablename__ = "llm_calls"

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
    # ok | invalid | refused | error
    outcome: str = Field(max_length=20)
    error_code: str | None = Field(default=None, max_length=60)
    remediation: bool = False  # this call was the remediation retry
    created_at: datetime = _ts()


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

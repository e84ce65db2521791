"""The canonical export document: one pydantic model every exporter renders from.

`build_document(course, profile)` turns the read model (`load_course`) into this shape;
the JSON exporter dumps it, the JSON importer validates against it, and
`schemas/course.schema.json` is generated from it. Limits mirror the database columns
(not the generator's stricter schemas) so anything the app can store can be exported
and imported back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

from core.provenance import call_fields
from core.services.courses import CourseDoc, LessonDoc, ModuleDoc, Provenance

SCHEMA_VERSION: Final = "1.0"
FORMAT_ID: Final = "course-studio.course"
SCHEMA_ID = "https://course-studio.local/schemas/course.schema.json"

NodeTitle = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(max_length=2000)]
LongText = Annotated[str, StringConstraints(max_length=200_000)]


class Profile(StrEnum):
    minimal = "minimal"  # content only
    full = "full"  # content plus provenance on every node


class _Doc(BaseModel):
    # Foreign or misspelt keys are refused, so an import never silently drops data.
    model_config = ConfigDict(extra="forbid")


class Meta(_Doc):
    """Provenance of one node's current revision (full profile only)."""

    revision_id: int | None = None
    prompt_id: str | None = None
    prompt_version: str | None = None
    prompt_checksum: str | None = None
    model: str | None = None
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)
    generated_at: datetime | None = None


class ExportSlide(_Doc):
    title: NodeTitle
    bullets: list[Line] = Field(default_factory=list, max_length=200)
    notes: LongText = ""


class ExportExercise(_Doc):
    title: Line
    instructions: LongText = ""
    # issue 13: how the work is judged (older exports have neither)
    model_answer: LongText = ""
    rubric: LongText = ""


class ExportQuizQuestion(_Doc):
    question: Line
    options: list[Line] = Field(min_length=1, max_length=20)
    answer_index: int = Field(ge=0)
    explanation: LongText = ""
    objective: Line = ""  # issue 13: the lesson objective the question checks


class ExportVideo(_Doc):
    """issue-14: a lesson's video, referenced by its path inside the export (HTML and SCORM
    carry the file there; the JSON export only names it). Where the file is read from on
    this server is private: it never appears in an export."""

    href: Line
    captions_href: Line | None = None
    engine: Literal["local", "heygen"]
    duration_s: float = Field(default=0.0, ge=0)
    _source: Path | None = PrivateAttr(default=None)
    _captions_source: Path | None = PrivateAttr(default=None)


class ExportSource(_Doc):
    """issue-17: a passage of the course's sources the lesson cites (id, quote, where)."""

    chunk_id: Annotated[str, StringConstraints(max_length=40)]
    quote: LongText
    source: Line
    heading: LongText = ""
    page: int | None = Field(default=None, ge=1)


class ExportLesson(_Doc):
    id: int | None = None
    title: NodeTitle
    duration_minutes: int = Field(ge=0, le=6000)
    objectives: list[Line] = Field(default_factory=list)
    body_md: LongText = ""
    key_points: list[Line] = Field(default_factory=list)
    exercises: list[ExportExercise] = Field(default_factory=list)
    quiz: list[ExportQuizQuestion] = Field(default_factory=list)
    slides: list[ExportSlide] = Field(default_factory=list)
    meta: Meta | None = None
    slides_meta: Meta | None = None
    video: ExportVideo | None = None  # issue-14
    sources: list[ExportSource] | None = None  # issue-17: only for courses with sources


class ExportModule(_Doc):
    id: int | None = None
    title: NodeTitle
    summary: LongText = ""
    objectives: list[Line] = Field(default_factory=list)
    lessons: list[ExportLesson] = Field(default_factory=list)
    meta: Meta | None = None

    @property
    def duration_minutes(self) -> int:
        return sum(lesson.duration_minutes for lesson in self.lessons)


class Totals(_Doc):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)


class ExportCourse(_Doc):
    id: int | None = None
    title: NodeTitle
    summary: LongText = ""
    language: Annotated[str, StringConstraints(min_length=2, max_length=8)] = "en"
    params: dict[str, Any] | None = None
    modules: list[ExportModule] = Field(default_factory=list)
    meta: Meta | None = None

    @property
    def lessons(self) -> list[ExportLesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @property
    def duration_minutes(self) -> int:
        return sum(m.duration_minutes for m in self.modules)


class CourseExport(_Doc):
    """Root of an exported course. No export timestamp: the same course exports to the same bytes."""

    format: Literal["course-studio.course"] = FORMAT_ID
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    profile: Profile
    course: ExportCourse
    totals: Totals | None = None


def _meta(prov: Provenance | None, profile: Profile) -> Meta | None:
    if profile is not Profile.full or prov is None:
        return None
    return Meta(
        revision_id=prov.revision_id,
        generated_at=prov.generated_at,
        **call_fields(prov),
    )


def _lesson(lesson: LessonDoc, profile: Profile) -> ExportLesson:
    return ExportLesson(
        id=lesson.id,
        title=lesson.title,
        duration_minutes=lesson.duration_minutes,
        objectives=lesson.objectives,
        body_md=lesson.body_md,
        key_points=lesson.key_points,
        exercises=[ExportExercise.model_validate(_known(ex, ExportExercise)) for ex in lesson.exercises],
        quiz=[ExportQuizQuestion.model_validate(_known(q, ExportQuizQuestion)) for q in lesson.quiz],
        slides=[ExportSlide(title=s.title or "-", bullets=s.bullets, notes=s.notes) for s in lesson.slides],
        meta=_meta(lesson.provenance, profile),
        slides_meta=_meta(lesson.slides_provenance, profile),
    )


def _known(data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    # Stored JSON may carry keys an older generator wrote; export only the documented ones.
    return {k: v for k, v in data.items() if k in model.model_fields}


def _module(module: ModuleDoc, profile: Profile) -> ExportModule:
    return ExportModule(
        id=module.id,
        title=module.title,
        summary=module.summary,
        objectives=module.objectives,
        lessons=[_lesson(lesson, profile) for lesson in module.lessons],
        meta=_meta(module.provenance, profile),
    )


def _totals(course: ExportCourse) -> Totals:
    metas = [course.meta] + [m.meta for m in course.modules]
    metas += [x for lesson in course.lessons for x in (lesson.meta, lesson.slides_meta)]
    present = [m for m in metas if m is not None]
    return Totals(
        input_tokens=sum(m.input_tokens for m in present),
        output_tokens=sum(m.output_tokens for m in present),
        cost_usd=round(sum(m.cost_usd for m in present), 6),
    )


def build_document(course: CourseDoc, profile: Profile | str = Profile.minimal) -> CourseExport:
    profile = Profile(profile)
    exported = ExportCourse(
        id=course.id,
        title=course.title,
        summary=course.summary,
        language=course.language,
        params=dict(course.params) if profile is Profile.full else None,
        modules=[_module(m, profile) for m in course.modules],
        meta=_meta(course.provenance, profile),
    )
    return CourseExport(
        profile=profile,
        course=exported,
        totals=_totals(exported) if profile is Profile.full else None,
    )

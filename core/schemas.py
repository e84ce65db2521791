"""Domain schemas: course parameters and the validated shapes of every model answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
Bullet = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# Generated durations may drift from the requested total by this share and still pass.
DURATION_TOLERANCE = 0.10
MAX_LESSON_MINUTES = 600


class Level(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class Tone(StrEnum):
    neutral = "neutral"
    friendly = "friendly"
    formal = "formal"
    playful = "playful"


class Language(StrEnum):
    en = "en"
    ru = "ru"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CourseParams(_Strict):
    topic: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    audience: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)] = (
        "general audience"
    )
    level: Level = Level.beginner
    total_duration_minutes: int = Field(default=120, ge=15, le=6000)
    language: Language = Language.en
    module_count: int = Field(default=3, ge=1, le=20)
    lessons_per_module: int = Field(default=3, ge=1, le=15)
    tone: Tone = Tone.neutral
    constraints: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""

    @model_validator(mode="after")
    def _lessons_have_time(self) -> CourseParams:
        lessons = self.module_count * self.lessons_per_module
        if self.total_duration_minutes < lessons * 5:
            raise ValueError(
                f"total_duration_minutes={self.total_duration_minutes} leaves under 5 minutes "
                f"for each of {lessons} lessons; raise the duration or lower the counts"
            )
        if self.total_duration_minutes > lessons * MAX_LESSON_MINUTES:
            raise ValueError(
                f"total_duration_minutes={self.total_duration_minutes} needs lessons over "
                f"{MAX_LESSON_MINUTES} minutes each for {lessons} lessons; add lessons or shorten the course"
            )
        return self

    @property
    def lesson_count(self) -> int:
        return self.module_count * self.lessons_per_module


class OutlineLesson(_Strict):
    title: Title
    objectives: list[Bullet] = Field(min_length=1, max_length=5)
    duration_minutes: int = Field(ge=1, le=MAX_LESSON_MINUTES)


class OutlineModule(_Strict):
    title: Title
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    objectives: list[Bullet] = Field(min_length=1, max_length=6)
    lessons: list[OutlineLesson] = Field(min_length=1, max_length=15)

    @property
    def duration_minutes(self) -> int:
        return sum(lesson.duration_minutes for lesson in self.lessons)


class Outline(_Strict):
    title: Title
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    modules: list[OutlineModule] = Field(min_length=1, max_length=20)

    @property
    def duration_minutes(self) -> int:
        return sum(m.duration_minutes for m in self.modules)


LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=3000)]


class Exercise(_Strict):
    title: ShortText
    instructions: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=3000)]
    # issue 13: how a learner's answer is judged; older content has neither (empty).
    model_answer: LongText = ""
    rubric: LongText = ""


class QuizQuestion(_Strict):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]
    options: list[Bullet] = Field(min_length=2, max_length=5)
    answer_index: int = Field(ge=0)
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    # issue 13: the lesson objective this question checks (empty in older content).
    objective: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @model_validator(mode="after")
    def _answer_in_options(self) -> QuizQuestion:
        if self.answer_index >= len(self.options):
            raise ValueError(f"answer_index {self.answer_index} is outside the {len(self.options)} options")
        if len({o.casefold() for o in self.options}) != len(self.options):
            raise ValueError("options repeat: every option must differ from the others")
        return self


class LessonDetail(_Strict):
    body_md: Annotated[str, StringConstraints(strip_whitespace=True, min_length=200, max_length=30000)]
    key_points: list[Bullet] = Field(min_length=3, max_length=8)
    exercises: list[Exercise] = Field(min_length=1, max_length=5)
    quiz: list[QuizQuestion] = Field(min_length=2, max_length=6)


class QuizSet(_Strict):
    """issue 13: a regenerated quiz, nothing else of the lesson."""

    quiz: list[QuizQuestion] = Field(min_length=2, max_length=6)


class ExerciseSet(_Strict):
    """issue 13: regenerated exercises, nothing else of the lesson."""

    exercises: list[Exercise] = Field(min_length=1, max_length=5)


class PassageRewrite(_Strict):
    """issue 13: one rewritten passage of a lesson body."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]


class Slide(_Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=90)]
    bullets: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160)]] = (
        Field(min_length=1, max_length=7)
    )
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3000)] = ""


class SlideDeck(_Strict):
    slides: list[Slide] = Field(min_length=2, max_length=20)


class Citation(_Strict):
    """issue-17: a claim's source: the chunk's id and a span quoted verbatim from it."""

    chunk_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=400)]


class GroundedLesson(LessonDetail):
    """A lesson written from a course's sources: the lesson plus the passages it rests on."""

    citations: list[Citation] = Field(min_length=1, max_length=12)


def _norm(text: str) -> str:
    # Quotes are compared as words: line breaks, repeated spaces and case do not count.
    return " ".join(text.replace("\u00ad", "").split()).casefold()


def citation_problems(citations: list[Citation], chunks: dict[str, str]) -> list[str]:
    """Every citation must name a chunk it was given and quote text that occurs in it."""
    problems: list[str] = []
    known = ", ".join(sorted(chunks)[:20])
    for i, citation in enumerate(citations):
        text = chunks.get(citation.chunk_id)
        if text is None:
            problems.append(
                f"citations.{i}.chunk_id: no source chunk {citation.chunk_id!r} was given; cite one of: {known}"
            )
        elif _norm(citation.quote) not in _norm(text):
            problems.append(
                f"citations.{i}.quote: the quote does not occur in chunk {citation.chunk_id}; "
                "copy a span of its text exactly"
            )
    return problems


def outline_problems(outline: Outline, params: CourseParams) -> list[str]:
    """Constraint checks a schema alone cannot express: counts and the time budget."""
    problems: list[str] = []
    if len(outline.modules) != params.module_count:
        problems.append(
            f"modules: expected exactly {params.module_count} modules, got {len(outline.modules)}"
        )
    for i, module in enumerate(outline.modules):
        if len(module.lessons) != params.lessons_per_module:
            problems.append(
                f"modules.{i}.lessons: expected exactly {params.lessons_per_module} lessons, "
                f"got {len(module.lessons)}"
            )
    total = outline.duration_minutes
    low = params.total_duration_minutes * (1 - DURATION_TOLERANCE)
    high = params.total_duration_minutes * (1 + DURATION_TOLERANCE)
    if not low <= total <= high:
        problems.append(
            f"duration: lesson durations add up to {total} minutes; they must add up to "
            f"{params.total_duration_minutes} (within {int(DURATION_TOLERANCE * 100)}%)"
        )
    return problems


SCHEMAS: dict[str, type[BaseModel]] = {
    "Outline": Outline,
    "OutlineModule": OutlineModule,
    "LessonDetail": LessonDetail,
    "SlideDeck": SlideDeck,
    "GroundedLesson": GroundedLesson,  # issue-17
    "QuizSet": QuizSet,
    "ExerciseSet": ExerciseSet,
    "PassageRewrite": PassageRewrite,
}

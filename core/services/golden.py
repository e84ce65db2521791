"""The golden set: fixed course requests, and what a good outline for each looks like.

The evaluations score against it and the playground offers its requests as samples.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import AppError, Code, field_errors
from core.schemas import DURATION_TOLERANCE, CourseParams, Language
from core.settings import ROOT

GOLDEN_DIR = ROOT / "evals" / "golden"


class Expectations(BaseModel):
    """What a good answer to one request looks like, beyond the schema."""

    model_config = ConfigDict(extra="forbid")

    module_count: int = Field(ge=1)
    lessons_per_module: int = Field(ge=1)
    total_duration_minutes: int = Field(ge=1)
    duration_tolerance: float = Field(default=DURATION_TOLERANCE, ge=0, le=1)
    language: Language
    min_lesson_minutes: int = Field(default=1, ge=1)
    max_lesson_minutes: int | None = Field(default=None, ge=1)
    title_max_chars: int = Field(default=80, ge=5)
    objectives_min: int = Field(default=1, ge=1)
    objectives_max: int = Field(default=5, ge=1)
    summary_max_chars: int = Field(default=2000, ge=10)
    # issue-17: headings of the case's sources that the plan must cover (by title or objective)
    source_headings: list[str] = Field(default_factory=list)


class GoldenSource(BaseModel):
    """issue-17: a source document of a case, as Markdown."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1)


class GoldenCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=80)
    description: str = ""
    request: CourseParams
    expect: Expectations
    sources: list[GoldenSource] = Field(default_factory=list)  # issue-17

    @model_validator(mode="after")
    def _expectations_match_request(self) -> GoldenCase:
        # A golden case whose expectations contradict its own request would score noise.
        for name in ("module_count", "lessons_per_module", "total_duration_minutes"):
            if getattr(self.expect, name) != getattr(self.request, name):
                raise ValueError(f"expect.{name} differs from request.{name}")
        if self.expect.language != self.request.language:
            raise ValueError("expect.language differs from request.language")
        return self


def load_golden(folder: Path = GOLDEN_DIR) -> list[GoldenCase]:
    """Every case in a golden folder, validated; a bad file is an error naming it."""
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise AppError(Code.VALIDATION, f"{folder}: no golden cases (*.yaml)")
    cases: dict[str, GoldenCase] = {}
    for path in paths:
        try:
            case = GoldenCase.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise AppError(
                Code.VALIDATION, f"{path}: invalid golden case", details=field_errors(exc)
            ) from exc
        if case.id in cases:
            raise AppError(Code.VALIDATION, f"{path}: duplicate golden case id {case.id!r}")
        cases[case.id] = case
    return list(cases.values())

"""The variables every step's prompt gets from a course: one builder, so the playground and
the evaluations render prompts with what production generation sends."""

from __future__ import annotations

from typing import Any

from core.schemas import CourseParams


def course_variables(params: CourseParams, course_title: str) -> dict[str, Any]:
    """What each step's prompt knows about the course it writes for."""
    return {
        "course_title": course_title,
        "topic": params.topic,
        "audience": params.audience,
        "level": params.level.value,
        "language": params.language.value,
        "tone": params.tone.value,
        "constraints": params.constraints,
    }


def outline_variables(params: CourseParams, course_title: str) -> dict[str, Any]:
    """The outline prompt's variables: the course, and every requested parameter."""
    return {**course_variables(params, course_title), **params.model_dump(mode="json")}

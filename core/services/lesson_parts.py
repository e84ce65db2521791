"""Structured parts of a lesson (key points, exercises, quiz): edit them as lists and save
them as lesson revisions, and apply a proposal that replaced only one part (issue 13).

A structured save goes through `revisions.save_edit`, so it gets the same history, diffs,
content checks and conflict handling as a body edit. Two people editing different parts
of one lesson do not conflict: a save whose parts nobody changed since they were read is
applied on the newest version; only a change to the same part is a conflict.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from core.auth import Actor, Can, require
from core.errors import AppError, Code, InvalidInput, NotFound, field_errors
from core.models import Lesson
from core.schemas import LessonDetail
from core.services.revisions import SaveResult, lesson_content, save_edit

PARTS = ("key_points", "exercises", "quiz")
PART_FIELD = {"quiz": "quiz", "exercises": "exercises", "passage": "body_md"}


def parts_of(lesson: Lesson) -> dict[str, Any]:
    return {p: copy.deepcopy(getattr(lesson, p)) for p in PARTS}


def blank_exercise() -> dict[str, Any]:
    return {"title": "", "instructions": "", "model_answer": "", "rubric": ""}


def blank_question() -> dict[str, Any]:
    return {"question": "", "options": ["", ""], "answer_index": 0, "explanation": "", "objective": ""}


def move(items: list[Any], index: int, delta: int) -> list[Any]:
    """A copy of `items` with item `index` moved by `delta` places (clamped at the ends)."""
    out = list(items)
    if not 0 <= index < len(out):
        return out
    target = max(0, min(len(out) - 1, index + delta))
    out.insert(target, out.pop(index))
    return out


def clean_parts(parts: dict[str, Any]) -> dict[str, Any]:
    """Drop what a form leaves empty (blank key points and options) before validating.

    The right answer is remembered by its text, so dropping a blank option above it keeps
    the same option marked right."""
    out: dict[str, Any] = {}
    if "key_points" in parts:
        out["key_points"] = [str(p).strip() for p in parts["key_points"] if str(p).strip()]
    if "exercises" in parts:
        out["exercises"] = [
            {k: str(ex.get(k) or "").strip() for k in ("title", "instructions", "model_answer", "rubric")}
            for ex in parts["exercises"]
        ]
    if "quiz" in parts:
        quiz = []
        for q in parts["quiz"]:
            options = [str(o) for o in q.get("options") or []]
            index = int(q.get("answer_index") or 0)
            right = options[index] if 0 <= index < len(options) else None
            kept = [o.strip() for o in options if o.strip()]
            quiz.append(
                {
                    "question": str(q.get("question") or "").strip(),
                    "options": kept,
                    "answer_index": kept.index(right.strip()) if right and right.strip() in kept else index,
                    "explanation": str(q.get("explanation") or "").strip(),
                    "objective": str(q.get("objective") or "").strip(),
                }
            )
        out["quiz"] = quiz
    return out


def _adapter(name: str) -> TypeAdapter[Any]:
    # The lesson schema's own rules for the field: item rules and the count limits alike.
    field = LessonDetail.model_fields[name]
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)])  # type: ignore[misc, arg-type]


ADAPTERS = {name: _adapter(name) for name in PARTS}


def validate_parts(parts: dict[str, Any]) -> dict[str, Any]:
    """The parts as the lesson schema accepts them, or InvalidInput naming each field
    ("quiz.1.options"), so the form can point at what to fix."""
    errors: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    for name in PARTS:
        if name not in parts:
            continue
        try:
            value = ADAPTERS[name].validate_python(parts[name])
        except ValidationError as exc:
            for err in field_errors(exc):
                err["field"] = f"{name}.{err['field']}" if err["field"] else name
                errors.append(err)
            continue
        out[name] = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    if errors:
        raise InvalidInput("the edited lesson parts are not valid", errors)
    return out


def save_parts(
    session: Session,
    *,
    lesson_id: int,
    parts: dict[str, Any],
    base: dict[str, Any],
    expected_version: int,
    actor: Actor,
) -> SaveResult:
    """Save edited parts as one lesson revision.

    `base` holds the parts as they were when the author started editing. When the lesson
    moved on since `expected_version` but none of the edited parts did (someone changed
    the body, say), the edit applies on top of that; otherwise `save_edit` keeps it as a
    conflict revision and nothing is overwritten."""
    require(actor, Can.edit)
    clean = validate_parts(clean_parts(parts))
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound("lesson", lesson_id)
    if not lesson.body_md:
        raise AppError(Code.VALIDATION, f"lesson {lesson_id} has no text yet; write it before its quiz")
    version = expected_version
    untouched = all(getattr(lesson, name) == base.get(name) for name in clean)
    if lesson.version != expected_version and untouched:
        version = lesson.version
    changed = [name for name in clean if clean[name] != base.get(name)]
    return save_edit(
        session,
        node_type="lesson",
        node_id=lesson_id,
        content={**lesson_content(lesson), **clean},
        expected_version=version,
        actor=actor,
        note="edited " + ", ".join(changed or list(clean)),
    )


# ------------------------------------------------------------ proposals of one part

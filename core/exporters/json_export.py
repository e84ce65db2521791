"""JSON: the canonical export, its published JSON Schema, and import.

Import validates the whole file before writing a single row and lists every problem it
finds (format marker, schema_version, every pydantic error, quiz answers out of range).
It always creates a new course; each node gets an `imported` revision that keeps the
original provenance (prompt, model, tokens, cost, generation time), so a full-profile
export -> import -> export gives the same document apart from ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from core.auth import Actor, Can, require
from core.db import id_of
from core.errors import AppError, Code, InvalidInput, field_errors
from core.exporters.document import FORMAT_ID, SCHEMA_ID, SCHEMA_VERSION, CourseExport, ExportCourse, Meta
from core.models import Course, CourseStep, Lesson, Module, NodeType, Revision, RevisionSource
from core.provenance import Provenance
from core.schemas import CourseParams
from core.services.content_check import check_content
from core.services.revisions import LESSON_FIELDS, add_revision, make_current

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "course.schema.json"
MAX_IMPORT_BYTES = 50 * 1024 * 1024


class ImportInvalid(InvalidInput):
    """An import refused: the code says so, `errors` lists [{field, message}]."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message, errors)
        self.code = str(Code.IMPORT_INVALID)


# ------------------------------------------------------------------ export


def export_json(doc: CourseExport) -> bytes:
    data = doc.model_dump(mode="json", exclude_none=True)
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def json_schema() -> dict[str, Any]:
    """The published schema, generated from the export models (never edited by hand)."""
    schema = CourseExport.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Course Studio course export",
        "description": f"schema_version {SCHEMA_VERSION}; profiles: minimal (content) and full (content + meta)",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_schema_text(), encoding="utf-8")
    return path


# ------------------------------------------------------------------ import: validation


def _refuse(message: str, field: str = "") -> ImportInvalid:
    return ImportInvalid(f"the file cannot be imported: {message}", [{"field": field, "message": message}])


def _load(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    from core.safe_input import MAX_JSON_DEPTH, json_depth_problem

    if isinstance(data, dict):
        problem = json_depth_problem(data)
        if problem:
            raise _refuse(problem)
        return data
    if len(data) > MAX_IMPORT_BYTES:
        raise _refuse(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as exc:
        refused = _refuse(f"not valid JSON ({exc})")
        # issue-12: typed, so the UI names the line and column in the person's language.
        refused.errors[0].update(
            type="json_invalid", ctx={"line": exc.lineno, "column": exc.colno, "reason": exc.msg}
        )
        raise refused from exc
    except UnicodeDecodeError as exc:
        raise _refuse(f"not valid JSON ({exc})") from exc
    except RecursionError:  # issue 10: thousands of nested brackets
        raise _refuse(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
    problem = json_depth_problem(obj)
    if problem:
        raise _refuse(problem)
    if not isinstance(obj, dict):
        raise _refuse("expected a JSON object with format, schema_version and course")
    return obj


def _semantic_problems(doc: CourseExport) -> list[dict[str, str]]:
    problems = []
    for i, module in enumerate(doc.course.modules):
        for j, lesson in enumerate(module.lessons):
            for k, q in enumerate(lesson.quiz):
                if q.answer_index >= len(q.options):
                    problems.append(
                        {
                            "field": f"course.modules.{i}.lessons.{j}.quiz.{k}.answer_index",
                            "message": f"answer_index {q.answer_index} is outside the {len(q.options)} options",
                        }
                    )
    return problems


def parse_import(data: bytes | str | dict[str, Any]) -> CourseExport:
    """Validate an export file completely; raise ImportInvalid listing every problem."""
    obj = _load(data)
    errors: list[dict[str, str]] = []
    if obj.get("format") != FORMAT_ID:
        errors.append(
            {
                "field": "format",
                "message": f"expected {FORMAT_ID!r}, got {obj.get('format')!r}: not a Course Studio export",
            }
        )
    if obj.get("schema_version") != SCHEMA_VERSION:
        errors.append(
            {
                "field": "schema_version",
                "message": f"schema_version {obj.get('schema_version')!r} is not supported; this app reads {SCHEMA_VERSION!r}",
            }
        )
    doc: CourseExport | None = None
    try:
        doc = CourseExport.model_validate(obj)
    except ValidationError as exc:
        # format/schema_version already have a clearer message above.
        errors += [e for e in field_errors(exc) if e["field"] not in ("format", "schema_version")]
    if doc is not None:
        errors += _semantic_problems(doc)
    if errors or doc is None:
        raise ImportInvalid(f"the file cannot be imported: {len(errors)} problem(s)", errors)
    return doc


# ------------------------------------------------------------------ import: writing


def _keep_generation_time(session: Session, rev: Revision, meta: Meta | None) -> None:
    # generated_at describes the content, not the import; the import itself is
    # recorded by source="imported", the author and the note.
    if meta is not None and meta.generated_at is not None:
        rev.created_at = meta.generated_at
        session.add(rev)


def _params(course: ExportCourse) -> dict[str, Any]:
    if course.params is not None:
        try:
            CourseParams.model_validate(course.params)
            return dict(course.params)
        except ValidationError:
            pass  # a foreign or older parameter set: derive a valid one below
    modules = max(1, len(course.modules))
    per_module = max([len(m.lessons) for m in course.modules] or [1]) or 1
    language = course.language if course.language in ("en", "ru") else "en"
    return {
        "topic": course.title if len(course.title) >= 3 else f"{course.title} course",
        "language": language,
        "module_count": min(modules, 20),
        "lessons_per_module": min(per_module, 15),
        "total_duration_minutes": min(6000, max(15, course.duration_minutes, modules * per_module * 5)),
    }


def _step(course: ExportCourse) -> CourseStep:
    lessons = course.lessons
    if lessons and all(lesson.slides for lesson in lessons):
        return CourseStep.export
    if any(lesson.body_md for lesson in lessons):
        return CourseStep.slides
    return CourseStep.lessons if course.modules else CourseStep.structure


# Provenance and ids are ours, not content: left out of the content check.
_META_FIELDS: dict[str, Any] = {
    "id": True,
    "meta": True,
    "modules": {
        "__all__": {
            "id": True,
            "meta": True,
            "lessons": {"__all__": {"id": True, "meta": True, "slides_meta": True}},
        }
    },
}


def import_course_json(session: Session, data: bytes | str | dict[str, Any], *, actor: Actor) -> int:
    """Create a new course from an export file and return its id; the caller commits.

    Everything is validated before the first write, so an invalid file writes nothing;
    a failure while writing propagates and the caller's transaction rolls back.
    """
    require(actor, Can.edit)
    author = actor.label
    doc = parse_import(data)
    src = doc.course
    # issue 9: imported text is checked like an edit, once, before the first write (no
    # transaction is open during the moderation call). What the policy blocks refuses the
    # whole file, naming where; the file itself is the copy that is kept.
    whole = check_content(src.model_dump(mode="json", exclude=_META_FIELDS))
    if whole.blocked:
        blocked = [f.describe() for f in whole.findings if f.action == "block"]
        raise AppError(
            Code.CONTENT_BLOCKED,
            "the file is not imported: the content policy blocks it (" + "; ".join(blocked)[:400] + ")",
            details=whole.records(),
        )
    doc_findings = [f.as_dict() for f in whole.findings if f.kind == "moderation"]
    course = Course(
        title=src.title, summary=src.summary, language=src.language, params=_params(src), step=_step(src)
    )
    session.add(course)
    session.flush()
    course_id = id_of(course)
    note = f"imported from course {src.id}" if src.id is not None else "imported"

    def record(node_type: NodeType, node_id: int, content: dict[str, Any], meta: Meta | None) -> Revision:
        # Per node: the offline PII scan again, for redaction and the node's own findings.
        checked = check_content(content, moderate=None)
        rev = add_revision(
            session, course_id=course_id, node_type=node_type, node_id=node_id, content=checked.content,
            source=RevisionSource.imported, provenance=Provenance.of(meta), author=author, note=note,
            findings=checked.records() + doc_findings,
        )  # fmt: skip
        _keep_generation_time(session, rev, meta)
        return rev

    if src.meta is not None:
        record(NodeType.course, course_id, {"title": src.title, "summary": src.summary}, src.meta)

    for m_pos, m in enumerate(src.modules):
        module = Module(course_id=course_id, position=m_pos, title=m.title)
        session.add(module)
        session.flush()
        content = {"title": m.title, "summary": m.summary, "objectives": list(m.objectives)}
        make_current(session, record(NodeType.module, id_of(module), content, m.meta))
        for l_pos, lsn in enumerate(m.lessons):
            lesson = Lesson(
                course_id=course_id, module_id=id_of(module), position=l_pos, title=lsn.title,
                duration_minutes=lsn.duration_minutes,
            )  # fmt: skip
            session.add(lesson)
            session.flush()
            lesson_id = id_of(lesson)
            content = lsn.model_dump(mode="json", include=set(LESSON_FIELDS))
            make_current(session, record(NodeType.lesson, lesson_id, content, lsn.meta))
            if lsn.slides or lsn.slides_meta is not None:
                deck = {"slides": [s.model_dump(mode="json") for s in lsn.slides]}
                make_current(session, record(NodeType.slides, lesson_id, deck, lsn.slides_meta))
    session.flush()
    return course_id

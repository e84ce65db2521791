"""JSON export and import: round trips, the published schema, and refusals that write nothing."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from sqlalchemy import func
from sqlmodel import select

from core.db import session_scope
from core.errors import Code
from core.exporters import export_course, import_course_json
from core.exporters import json_export as jx
from core.exporters.document import SCHEMA_VERSION
from core.models import Course, Lesson, Module, Revision, SlideRow
from tests.actors import person
from tests.factories import make_course

RICH_BODY = (
    "## Таблицы и код 🚀\n\nПривет, мир! Ёжик, «кавычки», emoji 👩‍💻🎉, RTL עברית.\n\n"
    "| Колонка | Value | ✓ |\n|:--|--:|:-:|\n| один | 1 | ✅ |\n| два | `x|y` | ❌ |\n\n"
    '```python\ndef привет(имя: str) -> str:\n    return f"Здравствуй, {имя}! 👋"\n```\n\n'
    "~~~\nraw <b>tags</b> & {braces}\n~~~\n\nTrailing text with a [link](https://example.org/путь?q=1&x=2)."
)


def _strip_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_ids(v) for k, v in node.items() if k not in ("id", "revision_id")}
    if isinstance(node, list):
        return [_strip_ids(v) for v in node]
    return node


def _export(db: str, course_id: int, profile: str = "full") -> bytes:
    with session_scope(db) as session:
        data, _, _ = export_course(session, course_id, "json", profile)
    return data


def _counts(db: str) -> dict[str, int]:
    with session_scope(db) as session:
        return {
            t.__name__: session.exec(select(func.count()).select_from(t)).one()
            for t in (Course, Module, Lesson, SlideRow, Revision)
        }


def _round_trip(db: str, course_id: int, profile: str) -> tuple[dict[str, Any], dict[str, Any], int]:
    first = _export(db, course_id, profile)
    with session_scope(db) as session:
        new_id = import_course_json(session, first, actor=person("tester"))
    second = _export(db, new_id, profile)
    return json.loads(first), json.loads(second), new_id


@pytest.mark.parametrize("profile", ["full", "minimal"])
def test_round_trip_of_a_generated_course_gives_the_same_document(any_db: str, profile: str) -> None:
    with session_scope(any_db) as session:
        course_id = make_course(session, modules=3, lessons=2, slides=3)
    first, second, new_id = _round_trip(any_db, course_id, profile)
    assert new_id != course_id
    assert _strip_ids(first) == _strip_ids(second)
    assert first["course"]["id"] == course_id and second["course"]["id"] == new_id


def test_round_trip_keeps_russian_emoji_tables_and_code(any_db: str) -> None:
    with session_scope(any_db) as session:
        course_id = make_course(
            session, modules=2, lessons=2, language="ru", title="Курс о данных 📊", body_md=RICH_BODY
        )
    first, second, _ = _round_trip(any_db, course_id, "full")
    assert _strip_ids(first) == _strip_ids(second)
    lesson = second["course"]["modules"][0]["lessons"][0]
    assert lesson["body_md"] == RICH_BODY
    assert second["course"]["title"] == "Курс о данных 📊"
    raw = _export(any_db, course_id)
    assert "Привет" in raw.decode("utf-8")  # written as UTF-8, not \u escapes


def test_export_is_deterministic_and_valid_against_the_published_schema(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2)
    schema = json.loads(jx.SCHEMA_PATH.read_text(encoding="utf-8"))
    for profile in ("full", "minimal"):
        data = _export(db, course_id, profile)
        assert data == _export(db, course_id, profile)
        jsonschema.Draft202012Validator(schema).validate(json.loads(data))


def test_committed_schema_file_matches_the_export_models() -> None:
    assert jx.SCHEMA_PATH.read_text(encoding="utf-8") == jx.json_schema_text(), (
        "schemas/course.schema.json is stale: run `python -m core.exporters.cli export-schema`"
    )


def test_full_profile_carries_metadata_on_every_node_and_minimal_carries_none(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2)
    full = json.loads(_export(db, course_id, "full"))
    assert full["schema_version"] == SCHEMA_VERSION and full["profile"] == "full"
    assert full["totals"]["cost_usd"] > 0 and full["course"]["params"]["topic"]
    for module in full["course"]["modules"]:
        assert {
            "prompt_id",
            "prompt_version",
            "model",
            "input_tokens",
            "cost_usd",
            "generated_at",
            "revision_id",
        } <= set(module["meta"])
        for lesson in module["lessons"]:
            for key in ("meta", "slides_meta"):
                assert lesson[key]["model"] == "gpt-4.1-mini" and lesson[key]["output_tokens"] > 0
    minimal = _export(db, course_id, "minimal").decode()
    for key in ('"meta"', '"slides_meta"', '"totals"', '"params"', "prompt_id", "gpt-4.1"):
        assert key not in minimal


def test_import_writes_imported_revisions_that_keep_the_original_provenance(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=2, slides=2)
    data = _export(db, course_id)
    with session_scope(db) as session:
        new_id = import_course_json(session, data, actor=person("alice"))
    with session_scope(db) as session:
        revisions = session.exec(select(Revision).where(Revision.course_id == new_id)).all()
        assert {r.node_type for r in revisions} == {"module", "lesson", "slides"}
        assert all(r.source == "imported" and r.author == "alice" for r in revisions)
        assert all(r.note == f"imported from course {course_id}" for r in revisions)
        assert {r.prompt_id for r in revisions} == {"outline", "lesson_detail", "slides"}
        lessons = session.exec(select(Lesson).where(Lesson.course_id == new_id)).all()
        assert all(lsn.current_revision_id and lsn.slides_revision_id for lsn in lessons)
        assert session.get(Course, new_id).step == "export"  # type: ignore[union-attr]
    # the source course is untouched: import never overwrites
    assert json.loads(_export(db, course_id)) == json.loads(data)


def _valid(db: str) -> dict[str, Any]:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, slides=1)
    return json.loads(_export(db, course_id))


def _refused(db: str, payload: bytes | str | dict[str, Any]) -> list[dict[str, str]]:
    before = _counts(db)
    with pytest.raises(jx.ImportInvalid) as info, session_scope(db) as session:
        import_course_json(session, payload, actor=person("mallory"))
    assert info.value.code == Code.IMPORT_INVALID
    assert _counts(db) == before, "a refused import wrote rows"
    return info.value.errors


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n not json", "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'{"name": "left-pad", "version": "1.3.0"}', "not a Course Studio export"),
        ('{"format": "course-studio.course", "schema_version": "1.0"', "not valid JSON"),
    ],
)
def test_foreign_files_are_refused(db: str, payload: bytes | str, expected: str) -> None:
    errors = _refused(db, payload)
    assert any(expected in e["message"] for e in errors)


def test_invalid_file_lists_every_problem_and_writes_nothing(db: str) -> None:
    doc = _valid(db)
    doc["schema_version"] = "2.0"
    lesson = doc["course"]["modules"][0]["lessons"][0]
    lesson["duration_minutes"] = -5
    lesson["quiz"][0]["answer_index"] = 9
    del doc["course"]["modules"][0]["title"]
    doc["course"]["surprise"] = True
    errors = _refused(db, doc)
    fields = {e["field"] for e in errors}
    assert "schema_version" in fields
    assert "course.modules.0.lessons.0.duration_minutes" in fields
    assert "course.modules.0.title" in fields
    assert "course.surprise" in fields
    assert any("supported" in e["message"] for e in errors if e["field"] == "schema_version")
    # answer_index is a cross-field rule, checked once the shape is valid
    doc = _valid(db)
    doc["course"]["modules"][0]["lessons"][0]["quiz"][0]["answer_index"] = 9
    assert [e["field"] for e in _refused(db, doc)] == ["course.modules.0.lessons.0.quiz.0.answer_index"]


def test_a_failure_while_writing_rolls_back_everything(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _valid(db)
    before = _counts(db)
    calls = {"n": 0}
    real = jx.make_current

    def flaky(session, rev):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(session, rev)

    monkeypatch.setattr(jx, "make_current", flaky)
    with pytest.raises(RuntimeError), session_scope(db) as session:
        import_course_json(session, doc, actor=person("x"))
    assert _counts(db) == before

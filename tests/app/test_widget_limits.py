"""The limits on the widgets are the schema's, read from the JSON schema the server
validates against (not from the helper the pages use), so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from streamlit.testing.v1 import AppTest

from core.schemas import CourseParams, OutlineLesson, OutlineModule
from core.services.courses import CourseText
from tests.app.conftest import open_page


def schema_of(model: type[BaseModel], field: str) -> dict[str, Any]:
    return model.model_json_schema()["properties"][field]


def widget(at: AppTest, key: str) -> Any:
    for kind in ("number_input", "text_input", "text_area"):
        for w in getattr(at, kind):
            if w.key == key or (key.endswith("*") and str(w.key).startswith(key[:-1])):
                return w
    raise AssertionError(f"no widget {key}")


def assert_same(w: Any, prop: dict[str, Any], where: str) -> None:
    if "maxLength" in prop:
        assert w.max_chars == prop["maxLength"], (where, w.max_chars, prop)
    if "minimum" in prop:
        assert w.min == prop["minimum"], (where, w.min, prop)
    if "maximum" in prop:
        assert w.max == prop["maximum"], (where, w.max, prop)


def test_parameters_widgets_carry_every_schema_limit(db: str) -> None:
    at = open_page("parameters", lang="ru")
    assert not at.exception
    limited = {
        name: prop
        for name, prop in CourseParams.model_json_schema()["properties"].items()
        if {"maxLength", "minimum", "maximum"} & set(prop)
    }
    # Every limited field of the schema has a widget with that very limit.
    assert set(limited) == {
        "topic",
        "audience",
        "total_duration_minutes",
        "module_count",
        "lessons_per_module",
        "constraints",
    }
    for name, prop in limited.items():
        assert_same(widget(at, f"parameters.{name}"), prop, name)


def test_structure_widgets_carry_the_outline_limits(course_id: int) -> None:
    at = open_page("structure", course_id=course_id)
    assert not at.exception, [e.value for e in at.exception]
    assert_same(widget(at, "module-*"), schema_of(OutlineModule, "title"), "module title")
    lesson_title = next(
        w for w in at.text_input if str(w.key).startswith("lesson-") and w.key.endswith("-title")
    )
    assert_same(lesson_title, schema_of(OutlineLesson, "title"), "lesson title")
    minutes = next(w for w in at.number_input if str(w.key).endswith("-minutes"))
    assert_same(minutes, schema_of(OutlineLesson, "duration_minutes"), "minutes")
    title = next(w for w in at.text_input if str(w.key).startswith("course-") and w.key.endswith("-title"))
    assert_same(title, schema_of(CourseText, "title"), "course title")
    summary = next(w for w in at.text_area if str(w.key).startswith("course-") and w.key.endswith("-summary"))
    assert_same(summary, schema_of(CourseText, "summary"), "course summary")


def test_a_stored_duration_outside_the_schema_still_draws_the_structure_page(course_id: int) -> None:
    # Older data outside today's limits: the page draws (no bounds on that one box) and the
    # server's check names the problem on save, instead of the page failing to draw.
    from core.db import session_scope
    from core.models import Lesson
    from core.services.courses import load_course

    with session_scope() as session:
        lesson_id = load_course(session, course_id).modules[0].lessons[0].id
        row = session.get(Lesson, lesson_id)
        assert row is not None
        row.duration_minutes = 900
        session.add(row)
    at = open_page("structure", course_id=course_id)
    assert not at.exception, [e.value for e in at.exception]
    box = next(w for w in at.number_input if str(w.key).startswith(f"lesson-{lesson_id}-"))
    assert box.value == 900
    assert box.max is None or box.max > 900

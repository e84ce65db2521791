"""The Lessons page edits key points, exercises and quiz questions in forms and
regenerates only one part as a proposal (issue 13)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.db import session_scope
from core.models import RevisionStatus
from core.services.courses import get_lesson, load_course
from core.services.lesson_parts import parts_of, save_parts
from core.services.revisions import history
from tests.actors import person
from tests.app.conftest import finish_job, open_page, texts


def _first(course_id: int):
    with session_scope() as session:
        return load_course(session, course_id).lessons[0]


def _widget(at: AppTest, kind: str, suffix: str):
    found = [w for w in getattr(at, kind) if str(w.key).endswith(suffix)]
    assert found, f"no {kind} ending in {suffix}: {[w.key for w in getattr(at, kind)]}"
    return found[0]


def test_quiz_question_edit_add_and_reorder_save_one_revision(course_id: int) -> None:
    lesson = _first(course_id)
    at = open_page("lessons", course_id=course_id)
    assert not at.exception
    _widget(at, "text_input", "-q-0-stem").set_value("Which step comes first when cleaning data?")
    _widget(at, "text_area", "-q-0-options").set_value("Delete outliers\nProfile the columns\nTrain a model")
    at.run()
    _widget(at, "selectbox", "-q-0-correct.en").set_value(1)
    _widget(at, "selectbox", "-q-0-objective.en").set_value(lesson.objectives[1])
    at.run()
    # add a key point, then move it to the top
    _widget(at, "button", "-kp-add").click().run()
    _widget(at, "text_input", "-kp-3").set_value("Look before you fix").run()
    for _ in range(3):
        _widget(at, "button", "-kp-3-up").click().run()
    assert "Unsaved changes" in texts(at)
    _widget(at, "button", "-parts-save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with session_scope() as session:
        now = get_lesson(session, lesson.id)
        revs = history(session, node_type="lesson", node_id=lesson.id)
    assert now.quiz[0]["question"] == "Which step comes first when cleaning data?"
    assert now.quiz[0]["options"][now.quiz[0]["answer_index"]] == "Profile the columns"
    assert now.quiz[0]["objective"] == lesson.objectives[1]
    assert now.key_points == ["Look before you fix", *lesson.key_points]
    assert now.body_md == lesson.body_md and now.version == lesson.version + 1
    assert revs[0].status == RevisionStatus.current and "quiz" in revs[0].note
    assert "Unsaved changes" not in texts(at)


def test_invalid_quiz_is_refused_in_russian_naming_the_question(course_id: int) -> None:
    lesson = _first(course_id)
    at = open_page("lessons", course_id=course_id, lang="ru")
    _widget(at, "text_area", "-q-1-options").set_value("Только один вариант").run()
    _widget(at, "button", "-parts-save").click().run()
    shown = texts(at)
    assert "Вопрос 2 · Варианты ответа" in shown, shown
    with session_scope() as session:
        assert get_lesson(session, lesson.id).version == lesson.version  # nothing saved


def test_second_editor_of_the_quiz_gets_a_conflict_and_keeps_the_text(course_id: int) -> None:
    lesson = _first(course_id)
    at = open_page("lessons", course_id=course_id)
    _widget(at, "text_input", "-q-0-stem").set_value("My own wording of question one?").run()
    with session_scope() as session:  # someone else saves a quiz change meanwhile
        quiz = [dict(q) for q in lesson.quiz]
        quiz[0]["question"] = "Their wording of question one?"
        other = save_parts(
            session,
            lesson_id=lesson.id,
            parts={"quiz": quiz},
            base=parts_of(get_lesson(session, lesson.id)),
            expected_version=lesson.version,
            actor=person("bob"),
        )
    assert other.saved
    _widget(at, "button", "-parts-save").click().run()
    assert "someone else changed these parts first" in texts(at)
    with session_scope() as session:
        revs = history(session, node_type="lesson", node_id=lesson.id)
        assert get_lesson(session, lesson.id).quiz[0]["question"] == "Their wording of question one?"
    assert any(
        r.status == RevisionStatus.conflict
        and r.content["quiz"][0]["question"] == "My own wording of question one?"
        for r in revs
    )
    _widget(at, "button", "-parts-reload").click().run()
    assert _widget(at, "text_input", "-q-0-stem").value == "Their wording of question one?"


def test_regenerate_only_the_exercises_then_accept(course_id: int) -> None:
    lesson = _first(course_id)
    at = open_page("lessons", course_id=course_id)
    at.radio(key=f"lesson-{lesson.id}-regen-what.en").set_value("exercises").run()
    at.text_input(key=f"lesson-{lesson.id}-regen-instruction-exercises").set_value("more hands-on")
    next(b for b in at.button if b.label == "Regenerate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    finish_job(course_id, ("regenerate",))
    at.run()
    shown = texts(at)
    assert "A regenerated version is ready" in shown and "Changes only: Only the exercises" in shown
    next(b for b in at.button if b.label == "Accept").click().run()
    with session_scope() as session:
        now = get_lesson(session, lesson.id)
    assert now.exercises != lesson.exercises and all(
        ex["rubric"] or ex["model_answer"] for ex in now.exercises
    )
    assert now.body_md == lesson.body_md and now.quiz == lesson.quiz and now.key_points == lesson.key_points


def test_regenerate_a_passage_then_accept_changes_only_that_passage(course_id: int) -> None:
    lesson = _first(course_id)
    at = open_page("lessons", course_id=course_id)
    at.radio(key=f"lesson-{lesson.id}-regen-what.en").set_value("passage").run()
    at.selectbox(key=f"lesson-{lesson.id}-regen-from.en").set_value(1).run()
    passage = next(t.value for t in at.text if t.value and t.value in lesson.body_md)
    at.text_input(key=f"lesson-{lesson.id}-regen-instruction-passage").set_value("add an example")
    next(b for b in at.button if b.label == "Regenerate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    finish_job(course_id, ("regenerate",))
    at.run()
    assert "Changes only: A passage of the text" in texts(at)
    next(b for b in at.button if b.label == "Accept").click().run()
    with session_scope() as session:
        now = get_lesson(session, lesson.id)
    before, _, after = lesson.body_md.partition(passage)
    assert now.body_md.startswith(before) and now.body_md.endswith(after)
    assert len(now.body_md) > len(lesson.body_md)  # the example was added inside the passage
    assert now.quiz == lesson.quiz and now.exercises == lesson.exercises

"""Structured edits of key points, exercises and quiz questions (issue 13): validated,
saved as lesson revisions with history and diffs, conflicts kept, nothing overwritten."""

from __future__ import annotations

import copy

import pytest
from sqlmodel import select

from core.db import session_scope
from core.errors import InvalidInput
from core.models import Lesson, Revision, RevisionStatus
from core.services import revisions
from core.services.lesson_parts import clean_parts, move, parts_of, save_parts
from tests.actors import person
from tests.factories import make_course


def _lesson() -> Lesson:
    with session_scope() as session:
        make_course(session, modules=1, lessons=1)
    with session_scope() as session:
        return session.exec(select(Lesson)).one()


def _edited_quiz(lesson: Lesson) -> list[dict]:
    quiz = copy.deepcopy(lesson.quiz)
    quiz[0] = {
        "question": "Which step comes first when cleaning data?",
        "options": ["Delete outliers", "Profile the columns", "Train a model"],
        "answer_index": 1,
        "explanation": "You cannot fix what you have not looked at.",
        "objective": lesson.objectives[0],
    }
    return quiz


def test_quiz_edit_is_a_revision_with_history_and_diff(any_db: str) -> None:
    lesson = _lesson()
    base = parts_of(lesson)
    exercises = [*base["exercises"], {"title": "Profile a table", "instructions": "Profile one table you own.",
                                      "model_answer": "", "rubric": "- names each column's type"}]  # fmt: skip
    key_points = move([*base["key_points"], "Look before you fix"], 3, -3)  # added, then moved first
    with session_scope() as session:
        result = save_parts(
            session,
            lesson_id=int(lesson.id or 0),
            parts={"quiz": _edited_quiz(lesson), "exercises": exercises, "key_points": key_points},
            base=base,
            expected_version=lesson.version,
            actor=person("ann"),
        )
    assert result.saved and result.version == lesson.version + 1
    with session_scope() as session:
        now = session.get(Lesson, lesson.id)
        history = revisions.history(session, node_type="lesson", node_id=int(lesson.id or 0))
    assert now.quiz[0]["options"][now.quiz[0]["answer_index"]] == "Profile the columns"
    assert now.quiz[0]["objective"] == lesson.objectives[0]
    assert now.key_points[0] == "Look before you fix" and len(now.key_points) == 4
    assert now.exercises[-1]["rubric"] == "- names each column's type"
    assert now.body_md == lesson.body_md  # the body is not part of a structured edit
    newest, previous = history[0], history[1]
    assert newest.author == "ann" and newest.status == RevisionStatus.current
    assert "quiz" in newest.note and "key_points" in newest.note
    text = revisions.content_text("lesson", newest.content)
    old = revisions.content_text("lesson", previous.content)
    inserted = "".join(s for op, s in revisions.diff(old, text) if op == 1)
    assert "Look before you fix" in inserted and "Which step comes first" in inserted
    assert "* Profile the columns" in text and "Profile the columns" not in old
    assert "Model answer" in text or "Rubric" in text  # exercises' judging shows in diffs

    # restore brings the old quiz back as a new revision
    with session_scope() as session:
        back = revisions.restore(
            session, revision_id=int(previous.id or 0), expected_version=result.version, actor=person("ann")
        )
    with session_scope() as session:
        assert back.saved and session.get(Lesson, lesson.id).quiz == lesson.quiz


def test_invalid_parts_are_refused_with_the_field_and_nothing_is_stored(db: str) -> None:
    lesson = _lesson()
    bad = _edited_quiz(lesson)
    bad[1]["options"] = ["Only one"]
    with session_scope() as session, pytest.raises(InvalidInput) as err:
        save_parts(
            session,
            lesson_id=int(lesson.id or 0),
            parts={"quiz": bad, "key_points": ["one"]},
            base=parts_of(lesson),
            expected_version=lesson.version,
            actor=person("ann"),
        )
    fields = {e["field"] for e in err.value.errors}
    assert "key_points" in fields and any(f.startswith("quiz.1.options") for f in fields)
    with session_scope() as session:
        assert len(session.exec(select(Revision)).all()) == 3  # the factory's module, lesson, deck
        assert session.get(Lesson, lesson.id).version == lesson.version


def test_same_part_edited_twice_is_a_conflict_other_parts_are_not(any_db: str) -> None:
    lesson = _lesson()
    lid, base = int(lesson.id or 0), parts_of(lesson)
    with session_scope() as session:  # bob changes the body first
        body = revisions.save_edit(
            session,
            node_type="lesson",
            node_id=lid,
            content={**revisions.lesson_content(lesson), "body_md": lesson.body_md + "\n\nBob's addition."},
            expected_version=lesson.version,
            actor=person("bob"),
        )
    assert body.saved
    with session_scope() as session:  # ann's quiz edit read before bob's save: still applies
        ann = save_parts(
            session,
            lesson_id=lid,
            parts={"quiz": _edited_quiz(lesson)},
            base=base,
            expected_version=lesson.version,
            actor=person("ann"),
        )
    assert ann.saved
    with session_scope() as session:
        now = session.get(Lesson, lid)
        assert now.body_md.endswith("Bob's addition.") and now.quiz[0]["answer_index"] == 1
    # carl also read the first version and changed the quiz: that is a conflict, kept, not applied
    carl_quiz = copy.deepcopy(lesson.quiz)
    carl_quiz[0]["question"] = "Carl's own question text?"
    with session_scope() as session:
        carl = save_parts(
            session,
            lesson_id=lid,
            parts={"quiz": carl_quiz},
            base=base,
            expected_version=lesson.version,
            actor=person("carl"),
        )
    assert not carl.saved and "first" in carl.message
    with session_scope() as session:
        kept = session.get(Revision, carl.revision_id)
        now = session.get(Lesson, lid)
    assert (
        kept.status == RevisionStatus.conflict
        and kept.content["quiz"][0]["question"] == "Carl's own question text?"
    )
    assert now.quiz[0]["question"] == "Which step comes first when cleaning data?"


def test_blank_rows_are_dropped_and_the_right_answer_follows_its_text() -> None:
    parts = clean_parts(
        {
            "key_points": ["  a ", "", "b"],
            "quiz": [{"question": " Q? ", "options": ["", "x", " y "], "answer_index": 2}],
        }
    )
    assert parts["key_points"] == ["a", "b"]
    assert parts["quiz"][0]["options"] == ["x", "y"] and parts["quiz"][0]["answer_index"] == 1
    assert move([1, 2, 3], 0, 1) == [2, 1, 3] and move([1, 2, 3], 2, 5) == [1, 2, 3]
    assert move([1, 2, 3], 5, -1) == [1, 2, 3]


def test_judging_fields_and_objectives_survive_export_and_import(db: str) -> None:
    from core.exporters import export_course, import_course_json

    lesson = _lesson()
    base = parts_of(lesson)
    exercises = [{**base["exercises"][0], "model_answer": "Profile first.", "rubric": "- names the types"}]
    with session_scope() as session:
        saved = save_parts(
            session,
            lesson_id=int(lesson.id or 0),
            parts={"quiz": _edited_quiz(lesson), "exercises": exercises},
            base=base,
            expected_version=lesson.version,
            actor=person("ann"),
        )
    assert saved.saved
    with session_scope() as session:
        data, _, _ = export_course(session, lesson.course_id, "json", "minimal")
        new_id = import_course_json(session, data, actor=person("ann"))
    with session_scope() as session:
        copy_ = session.exec(select(Lesson).where(Lesson.course_id == new_id)).one()
    assert (
        copy_.exercises[0]["model_answer"] == "Profile first."
        and copy_.exercises[0]["rubric"] == "- names the types"
    )
    assert copy_.quiz[0]["objective"] == lesson.objectives[0]

"""Regenerate only the quiz, only the exercises, or one passage (issue 13): each is a
proposal; accepting it changes that part of the lesson as it is then, nothing else."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.db import session_scope
from core.errors import AppError
from core.jobs import wait_for
from core.llm.providers.offline import build_content
from core.models import JobStatus, Lesson, LLMCall
from core.prompts import get_registry
from core.schemas import SCHEMAS
from core.services import revisions
from core.services.courses import set_locked
from core.services.part_regen import start_regenerate_part
from tests.actors import ADMIN, person
from tests.factories import make_course
from tests.fakes.prompt_text import variables_from_messages

PASSAGE_BODY = (
    "# Cleaning\n\n"
    "Profiling comes first (before any fix), because a column you have not looked at can hide "
    "several different problems at once.\n\n"
    "## Next\n\nThen fix one problem at a time and check each fix against the goal of the analysis.\n"
)


def _lesson(body: str | None = None) -> tuple[int, Lesson]:
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1, body_md=body)
    with session_scope() as session:
        return course_id, session.exec(select(Lesson)).one()


def _proposal(course_id: int, lesson_id: int, part: str, **kw: str):
    job = start_regenerate_part(actor=ADMIN, course_id=course_id, lesson_id=lesson_id, part=part, **kw)
    done = wait_for(int(job.id or 0), timeout=60)
    assert done.status == JobStatus.succeeded, done.error_detail
    with session_scope() as session:
        proposal = revisions.pending_proposal(session, node_type="lesson", node_id=lesson_id)
        calls = session.exec(select(LLMCall).where(LLMCall.job_id == job.id)).all()
    assert proposal is not None
    return proposal, calls


def test_quiz_only_proposal_keeps_the_rest_and_applies_to_todays_lesson(any_db: str) -> None:
    course_id, lesson = _lesson()
    lid = int(lesson.id or 0)
    proposal, calls = _proposal(course_id, lid, "quiz", instruction="harder questions")
    assert [c.prompt_id for c in calls] == ["quiz"]  # one small call, not a whole lesson
    assert proposal.parameters["part"] == "quiz" and proposal.parameters["instruction"] == "harder questions"
    assert proposal.content["quiz"] != lesson.quiz
    assert all(q["objective"] in lesson.objectives for q in proposal.content["quiz"])
    for field in ("body_md", "key_points", "exercises", "title", "objectives"):
        assert proposal.content[field] == getattr(lesson, field)
    with session_scope() as session:
        assert session.get(Lesson, lid).quiz == lesson.quiz  # nothing changes before accepting

    # the author edits the body meanwhile; accepting the quiz must not undo that
    with session_scope() as session:
        edit = revisions.save_edit(
            session,
            node_type="lesson",
            node_id=lid,
            content={**revisions.lesson_content(lesson), "body_md": lesson.body_md + "\n\nEdited meanwhile."},
            expected_version=lesson.version,
            actor=person("ann"),
        )
    assert edit.saved
    with session_scope() as session:
        revisions.accept_proposal(session, revision_id=int(proposal.id or 0), actor=person("ann"))
    with session_scope() as session:
        now = session.get(Lesson, lid)
    assert now.quiz == proposal.content["quiz"]
    assert now.body_md.endswith("Edited meanwhile.") and now.exercises == lesson.exercises


def test_exercises_only_proposal_has_a_model_answer_or_rubric(db: str) -> None:
    course_id, lesson = _lesson()
    proposal, calls = _proposal(course_id, int(lesson.id or 0), "exercises")
    assert [c.prompt_id for c in calls] == ["exercises"]
    assert proposal.content["quiz"] == lesson.quiz and proposal.content["body_md"] == lesson.body_md
    assert proposal.content["exercises"] != lesson.exercises
    assert all(ex["model_answer"] or ex["rubric"] for ex in proposal.content["exercises"])


def test_passage_rewrite_changes_only_that_passage(any_db: str) -> None:
    course_id, lesson = _lesson(PASSAGE_BODY)
    lid = int(lesson.id or 0)
    passage = PASSAGE_BODY.split("\n\n")[1]
    proposal, calls = _proposal(course_id, lid, "passage", passage=passage, instruction="make this simpler")
    assert [c.prompt_id for c in calls] == ["passage"]
    body = proposal.content["body_md"]
    assert passage not in body and "(before any fix)" not in body  # the aside went, sentences split
    assert body.startswith("# Cleaning\n\n") and body.endswith(PASSAGE_BODY.split("\n\n", 2)[2])
    rewrite = proposal.parameters["rewrite"]
    assert rewrite and rewrite in body

    # once the passage itself is edited, the proposal cannot be applied blindly
    with session_scope() as session:
        edit = revisions.save_edit(
            session,
            node_type="lesson",
            node_id=lid,
            content={
                **revisions.lesson_content(lesson),
                "body_md": PASSAGE_BODY.replace("Profiling", "Looking"),
            },
            expected_version=lesson.version,
            actor=person("ann"),
        )
    assert edit.saved
    with session_scope() as session, pytest.raises(AppError, match="passage"):
        revisions.accept_proposal(session, revision_id=int(proposal.id or 0), actor=person("ann"))
    with session_scope() as session:
        assert session.get(Lesson, lid).body_md == PASSAGE_BODY.replace("Profiling", "Looking")


def test_bad_requests_are_refused_before_any_job(db: str) -> None:
    course_id, lesson = _lesson(PASSAGE_BODY)
    lid = int(lesson.id or 0)
    for kw, why in (
        ({"part": "title"}, "cannot regenerate part"),
        ({"part": "passage", "passage": "not in the text", "instruction": "x"}, "not in the lesson"),
        ({"part": "passage", "passage": "Profiling comes first"}, "say how"),
    ):
        with pytest.raises(AppError, match=why):
            start_regenerate_part(actor=ADMIN, course_id=course_id, lesson_id=lid, **kw)
    with session_scope() as session:
        set_locked(session, actor=ADMIN, node_type="lesson", node_id=lid, locked=True)
    with pytest.raises(AppError, match="locked"):
        start_regenerate_part(actor=ADMIN, course_id=course_id, lesson_id=lid, part="quiz")


@pytest.mark.parametrize("prompt_id", ["quiz", "exercises", "passage"])
def test_fake_server_reads_the_rendered_part_prompts(prompt_id: str) -> None:
    """The fake OpenAI server answers from the messages alone: the counts, objectives,
    passage and request it reads must be the ones the prompt was rendered with."""
    spec = get_registry().get(prompt_id)
    variables = {
        "course_title": "Data cleaning",
        "audience": "analysts",
        "level": "beginner",
        "language": "ru",
        "lesson_title": "Профилирование",
        "duration_minutes": 20,
        "objectives": ["Описать столбцы таблицы", "Найти пропуски"],
        "body_md": PASSAGE_BODY,
        "question_count": 4,
        "exercise_count": 3,
        "passage": PASSAGE_BODY.split("\n\n")[1],
        "instruction": "короче",
    }
    got = variables_from_messages(spec.schema_name, spec.render(variables))
    for name in set(spec.variables) - {"body_md", "audience", "level"}:
        assert got.get(name) == variables[name], name
    answer = SCHEMAS[spec.schema_name].model_validate(build_content(SCHEMAS[spec.schema_name], got))
    if prompt_id == "quiz":
        assert len(answer.quiz) == 4 and {q.objective for q in answer.quiz} == set(variables["objectives"])
    if prompt_id == "exercises":
        assert len(answer.exercises) == 3
    if prompt_id == "passage":
        assert len(answer.text) < len(variables["passage"])  # "короче": shorter

"""issue 17: a course with sources is outlined from them, and each lesson cites the
passages it was given; invalid citations go through the remediation loop."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from core.db import session_scope
from core.jobs import start_job, wait_for
from core.llm.base import LLMRequest
from core.llm.providers.offline import build_content
from core.models import JobStatus, LLMCall, Revision, RevisionStatus
from core.schemas import CourseParams, GroundedLesson
from core.services import generation
from core.services import sources as source_svc
from core.services.courses import create_course, load_course
from core.services.grounding import lesson_citations
from tests import source_files as sf
from tests.actors import ADMIN
from tests.fakes.fake_llm import FakeLLM, valid_answer


def _course(language: str = "en", sources: list[tuple[str, bytes]] | None = None) -> int:
    params = CourseParams(
        topic="Staff handbook",
        module_count=2,
        lessons_per_module=2,
        total_duration_minutes=60,
        language=language,
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        for name, data in sources or []:
            source_svc.add_source(session, actor=ADMIN, course_id=course_id, filename=name, data=data)
    return course_id


def _run(kind: str, course_id: int):
    job = start_job(actor=ADMIN, kind=kind, course_id=course_id)
    return wait_for(int(job.id or 0), timeout=60)


def test_offline_course_from_a_handbook_is_extractive_and_cited(any_db: str) -> None:
    course_id = _course(sources=[("handbook.pdf", sf.pdf(pages=20))])
    job = _run(generation.KIND_COURSE, course_id)
    assert job.status == JobStatus.succeeded, job.error_detail
    with session_scope() as session:
        doc = load_course(session, course_id)
        calls = session.exec(select(LLMCall).where(LLMCall.job_id == job.id)).all()
        chunks = {c.key: c.text for c in source_svc.course_chunks(session, course_id)}
        cited = {
            lesson.id: lesson_citations(session, course_id, int(lesson.id or 0)) for lesson in doc.lessons
        }
    assert {c.prompt_id for c in calls} == {"outline_grounded", "lesson_grounded", "slides"}
    # Lesson titles come from the handbook's headings, not from a template.
    headings = {h for h, _ in sf.SECTIONS_EN}
    assert all(any(h in lesson.title for h in headings) for lesson in doc.lessons)
    for lesson in doc.lessons:
        assert cited[lesson.id], f"lesson {lesson.title} has no citation"
        for c in cited[lesson.id]:
            assert c.chunk_id in chunks
            assert " ".join(c.quote.split()) in " ".join(chunks[c.chunk_id].split())
            assert c.passage is not None and c.passage.source_name == "handbook.pdf"
        # Extractive: the handbook's own sentences are in the lesson.
        assert any(sentence in lesson.body_md for _h, body in sf.SECTIONS_EN for sentence in body.split(". "))


def test_a_course_without_sources_uses_the_usual_prompts(db: str) -> None:
    course_id = _course()
    job = _run(generation.KIND_OUTLINE, course_id)
    assert job.status == JobStatus.succeeded
    job = _run(generation.KIND_LESSONS, course_id)
    with session_scope() as session:
        calls = session.exec(select(LLMCall)).all()
        revs = session.exec(select(Revision).where(Revision.node_type == "lesson")).all()
    assert {c.prompt_id for c in calls} == {"outline", "lesson"}
    assert all("citations" not in r.content for r in revs)


def test_invalid_citations_are_remediated(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    course_id = _course(sources=[("handbook.md", sf.markdown())])
    llm = FakeLLM()
    monkeypatch.setattr(generation, "get_provider", lambda: llm)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded

    def lesson(request: LLMRequest, chunk_id: str | None = None, quote: str | None = None) -> str:
        answer = valid_answer(LLMRequest(**{**request.__dict__, "schema": type("LessonDetail", (), {})}))
        first = request.variables["chunks"][0]
        answer["citations"] = [{"chunk_id": chunk_id or first["id"], "quote": quote or first["text"][-40:]}]
        return json.dumps(answer)

    seen: list[LLMRequest] = []

    def bad_then_good(request: LLMRequest) -> str:
        seen.append(request)
        if not request.remediation:
            return lesson(request, chunk_id="S00000000-9999", quote="a claim nobody ever wrote down")
        return lesson(request)

    llm.enqueue(*[bad_then_good] * 8)
    job = start_job(
        actor=ADMIN, kind=generation.KIND_LESSONS, course_id=course_id, payload={"lesson_ids": None}
    )
    job = wait_for(int(job.id or 0), timeout=60)
    assert job.status == JobStatus.succeeded, job.error_detail
    remediation = [r for r in seen if r.remediation]
    assert remediation, "the invalid citation never reached the repair loop"
    problem = remediation[0].messages[-1]["content"]
    assert "no source chunk 'S00000000-9999'" in problem
    with session_scope() as session:
        assert session.exec(select(LLMCall).where(LLMCall.remediation)).all()
        current = session.exec(
            select(Revision).where(Revision.node_type == "lesson", Revision.status == RevisionStatus.current)
        ).all()
    assert current and all(r.content["citations"] for r in current)


def test_a_quote_that_is_not_in_its_chunk_is_a_problem() -> None:
    from core.schemas import Citation, citation_problems

    chunks = {"S1-0001": "Every employee has 28 calendar days\nof paid annual leave."}
    assert citation_problems([Citation(chunk_id="S1-0001", quote="28 CALENDAR days of paid")], chunks) == []
    problems = citation_problems([Citation(chunk_id="S1-0001", quote="35 calendar days of paid")], chunks)
    assert problems and "does not occur in chunk S1-0001" in problems[0]


@pytest.mark.parametrize(
    ("name", "maker"),
    [
        ("policy.docx", lambda: sf.docx(extra=sf.INJECTION)),
        ("policy.pdf", lambda: sf.pdf(extra=sf.INJECTION)),
    ],
)
def test_source_text_stays_data_and_never_reaches_the_system_prompt(
    db: str, monkeypatch, name, maker
) -> None:
    course_id = _course(sources=[(name, maker())])
    llm = FakeLLM()
    monkeypatch.setattr(generation, "get_provider", lambda: llm)

    def answer(request: LLMRequest) -> str:
        if request.schema is GroundedLesson:
            return json.dumps(build_content(GroundedLesson, request.variables))
        return json.dumps(valid_answer(request))

    llm.enqueue(*[answer] * 10)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    assert _run(generation.KIND_LESSONS, course_id).status == JobStatus.succeeded
    from core.prompts import active_prompt

    assert any("IGNORE PREVIOUS" in r.messages[1]["content"] for r in llm.requests)  # it did reach a prompt
    for request in llm.requests:
        system, user = request.messages[0]["content"], request.messages[1]["content"]
        assert "IGNORE PREVIOUS" not in system and "pirate" not in system
        spec = active_prompt("lesson_grounded" if request.schema is GroundedLesson else "outline_grounded")
        assert system == spec.render({**request.variables})[0]["content"]
        if "IGNORE PREVIOUS" in user:
            # Inside a data block, with its closing tag neutralised.
            before = user.split("IGNORE PREVIOUS")[0]
            assert before.rfind("<user_data>") > before.rfind("</user_data>")
            assert user.count("</user_data>") == user.count("<user_data>")


def test_an_edited_lesson_keeps_its_citations_but_is_flagged(db: str) -> None:
    from core.models import Lesson
    from core.services.grounding import edited_since_cited
    from core.services.revisions import save_edit

    course_id = _course(sources=[("handbook.md", sf.markdown())])
    assert _run(generation.KIND_COURSE, course_id).status == JobStatus.succeeded
    with session_scope() as session:
        lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id)).first()
        assert lesson is not None and not edited_since_cited(session, int(lesson.id or 0))
        before = lesson_citations(session, course_id, int(lesson.id or 0))
        current = session.get(Revision, lesson.current_revision_id)
        assert current is not None
        # As the editor saves: the current content with the new text.
        content = {**current.content, "body_md": lesson.body_md + "\n\nA sentence the author added."}
        result = save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content=content,
            expected_version=lesson.version,
            actor=ADMIN,
        )
        assert result.saved
    with session_scope() as session:
        assert edited_since_cited(session, int(lesson.id or 0))
        assert [c.chunk_id for c in lesson_citations(session, course_id, int(lesson.id or 0))] == [
            c.chunk_id for c in before
        ]

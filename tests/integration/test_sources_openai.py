"""issue 17 through the real OpenAI SDK over HTTP (the fake server answers as a model that
follows the grounded prompts would): a course from a 20-page handbook, every lesson with
at least one valid citation; a citation to a passage that does not exist is remediated."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import select

from core.db import session_scope
from core.jobs import start_job, wait_for
from core.llm.providers.offline import build_content
from core.models import JobStatus, LLMCall
from core.schemas import CourseParams, GroundedLesson
from core.services import generation
from core.services import sources as source_svc
from core.services.courses import create_course, load_course
from core.services.grounding import lesson_citations
from core.settings import reset_settings
from tests import source_files as sf
from tests.actors import ADMIN
from tests.fakes.openai_server import FakeOpenAIServer, ok


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, db: str) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        for name, value in {
            "LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": "sk-test-sources-0123456789",
            "OPENAI_BASE_URL": fake.base_url,
            "HTTP_RETRIES": "1",
            "HTTP_BACKOFF_BASE_S": "0.01",
            "GENERATION_CONCURRENCY": "1",  # scripted answers meet the calls in a known order
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield fake


def _course() -> int:
    params = CourseParams(
        topic="Staff handbook", module_count=2, lessons_per_module=2, total_duration_minutes=60
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        source_svc.add_source(
            session, actor=ADMIN, course_id=course_id, filename="handbook.pdf", data=sf.pdf(pages=20)
        )
    return course_id


def test_course_from_a_20_page_handbook_cites_it_in_every_lesson(server: FakeOpenAIServer) -> None:
    course_id = _course()
    bad = build_content(
        GroundedLesson,
        {
            "lesson_title": "Made up",
            "chunks": [{"id": "S00000000-0000", "text": "A passage nobody wrote down."}],
        },
    )
    server.enqueue(ok(), ok(json.dumps(bad)))  # the outline, then lesson 1 cites a passage that is not there
    job = wait_for(
        int(start_job(actor=ADMIN, kind=generation.KIND_COURSE, course_id=course_id).id or 0), timeout=120
    )
    assert job.status == JobStatus.succeeded, job.error_detail

    requests = server.requests
    grounded = [r for r in requests if "Source passages for this lesson" in r["messages"][1]["content"]]
    assert len(grounded) == 5  # four lessons, one of them asked again
    outline_prompt = requests[0]["messages"][1]["content"]
    assert "Sources (a digest" in outline_prompt and "Annual leave (1)" in outline_prompt
    remediation = [r for r in grounded if len(r["messages"]) > 2]
    assert len(remediation) == 1
    assert "no source chunk 'S00000000-0000'" in remediation[0]["messages"][-1]["content"]
    with session_scope() as session:
        doc = load_course(session, course_id)
        chunks = {c.key: c.text for c in source_svc.course_chunks(session, course_id)}
        calls = session.exec(select(LLMCall).where(LLMCall.job_id == job.id)).all()
        cited = {
            lesson.id: lesson_citations(session, course_id, int(lesson.id or 0)) for lesson in doc.lessons
        }
    assert len(chunks) == 20  # one passage per page
    assert sum(1 for c in calls if c.remediation and c.outcome == "ok") == 1
    for lesson in doc.lessons:
        assert cited[lesson.id], lesson.title
        for c in cited[lesson.id]:
            assert " ".join(c.quote.split()).casefold() in " ".join(chunks[c.chunk_id].split()).casefold()
            assert c.passage is not None and c.passage.page is not None

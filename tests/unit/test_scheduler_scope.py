"""issue 18: the scheduler learns who calls: a course job's calls are bulk work of that
job; a one-section regeneration and the playground are interactive."""

from __future__ import annotations

import threading

import pytest

from core.db import session_scope
from core.jobs import start_job, wait_for
from core.llm.base import LLMRequest, LLMResponse
from core.llm.scheduler import BULK, INTERACTIVE, Scope, current_scope
from core.models import JobStatus
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course, load_course
from tests.actors import ADMIN
from tests.fakes.fake_llm import FakeLLM


class Recording:
    """Delegates to a FakeLLM and notes the scheduler scope of every call."""

    name = "fake"

    def __init__(self) -> None:
        self.inner = FakeLLM()
        self.scopes: list[tuple[str, Scope]] = []
        self._lock = threading.Lock()

    def complete(self, request: LLMRequest) -> LLMResponse:
        with self._lock:
            self.scopes.append((request.step, current_scope()))
        return self.inner.complete(request)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Recording:
    recording = Recording()
    monkeypatch.setattr(generation, "get_provider", lambda: recording)
    return recording


def test_course_calls_are_bulk_and_a_regeneration_is_interactive(db: str, provider: Recording) -> None:
    params = CourseParams(
        topic="Python testing", module_count=1, lessons_per_module=2, total_duration_minutes=60
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
    course_job = start_job(actor=ADMIN, kind=generation.KIND_COURSE, course_id=course_id)
    assert wait_for(int(course_job.id or 0), timeout=60).status == JobStatus.succeeded
    bulk = {scope for _, scope in provider.scopes}
    assert bulk == {Scope(f"job:{course_job.id}", BULK)}

    provider.scopes.clear()
    with session_scope() as session:
        lesson_id = load_course(session, course_id).lessons[0].id
    regen = generation.start_regenerate(
        actor=ADMIN, course_id=course_id, node_type="lesson", node_id=lesson_id
    )
    wait_for(int(regen.id or 0), timeout=60)
    assert {scope for _, scope in provider.scopes} == {Scope(f"job:{regen.id}", INTERACTIVE)}


def test_outside_a_job_a_call_is_interactive() -> None:
    assert current_scope() == Scope("direct", INTERACTIVE)

"""OpenAI moderation before save (issue 9), through the real SDK over HTTP against the
fake server's /v1/moderations, with the shared client's retry rules."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from core.db import session_scope
from core.errors import Code
from core.models import Lesson, Revision, RevisionStatus
from core.services import revisions
from core.services.content_check import check_content
from core.settings import reset_settings
from tests.actors import ADMIN, person
from tests.factories import make_course
from tests.fakes.openai_server import (
    FakeOpenAIServer,
    delay,
    enqueue_moderation,
    flagged,
    moderation_calls,
    status,
)

API_KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123456789"
BODY = "A proper lesson body about conflict at work and how to calm it. " * 5


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer, db: str) -> FakeOpenAIServer:
    for name, value in {
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": server.base_url,
        "HTTP_RETRIES": "2",
        "HTTP_BACKOFF_BASE_S": "0.01",
        "HTTP_BACKOFF_MAX_S": "0.05",
        "HTTP_TIMEOUT_S": "10",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    return server


def _edit(body: str) -> tuple[Lesson, revisions.SaveResult]:
    with session_scope() as session:
        make_course(session, modules=1, lessons=1, slides=3)
    with session_scope() as session:
        lesson = session.exec(select(Lesson)).one()
    with session_scope() as session:
        result = revisions.save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content={**revisions.lesson_content(lesson), "body_md": body},
            expected_version=lesson.version,
            actor=person("ann"),
        )
    return lesson, result


def test_clean_edit_is_moderated_once_and_saved(openai_env: FakeOpenAIServer) -> None:
    _, result = _edit(BODY)
    assert result.saved and result.findings == []
    (call,) = moderation_calls(openai_env)
    assert call.body["model"] == "omni-moderation-latest"
    assert isinstance(call.body["input"], list) and BODY.strip() in call.body["input"][0]
    assert call.headers.get("Authorization") == f"Bearer {API_KEY}"


def test_flagged_edit_is_blocked_and_quarantined(openai_env: FakeOpenAIServer) -> None:
    lesson, result = _edit(BODY + "I will kill you if this fails again.")
    assert not result.saved and result.blocked
    with session_scope() as session:
        rev = session.get(Revision, result.revision_id)
        current = session.get(Lesson, lesson.id)
    assert rev is not None and rev.status == RevisionStatus.quarantined
    assert rev.findings == [{"kind": "moderation", "action": "block", "where": "", "sample": "violence"}]
    assert current is not None and current.body_md == lesson.body_md


def test_flag_policy_stores_and_marks(openai_env: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENT_POLICY", "moderation:flag")
    reset_settings()
    enqueue_moderation(openai_env, flagged("harassment"))
    _, result = _edit(BODY)
    assert result.saved and result.findings[0]["sample"] == "harassment"


def test_moderation_timeout_is_retried_like_generation(
    openai_env: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_TIMEOUT_S", "2")
    reset_settings()
    enqueue_moderation(openai_env, delay(6))  # past HTTP_TIMEOUT_S: the transport retries
    _, result = _edit(BODY)
    assert result.saved
    assert len(moderation_calls(openai_env)) == 2


def test_moderation_that_keeps_failing_quarantines_instead_of_storing_unchecked(
    openai_env: FakeOpenAIServer,
) -> None:
    enqueue_moderation(openai_env, status(503), status(503), status(503))
    _, result = _edit(BODY)
    assert not result.saved and result.blocked
    assert len(moderation_calls(openai_env)) == 3  # 1 + HTTP_RETRIES
    with session_scope() as session:
        rev = session.get(Revision, result.revision_id)
    assert rev is not None and rev.status == RevisionStatus.quarantined
    assert rev.findings[0]["sample"] == f"not checked: {Code.OPENAI_SERVER}"
    assert BODY in rev.content["body_md"]


def test_pii_and_moderation_findings_together(openai_env: FakeOpenAIServer) -> None:
    outcome = check_content({"body_md": "Mail anna@example.com. I will kill them all."})
    assert [(f.kind, f.action) for f in outcome.findings] == [("email", "flag"), ("moderation", "block")]


# ------------------------------------------------------------------ the fake's request rules


def _post(server: FakeOpenAIServer, body: object, *, key: str | None = API_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{server.base_url}/moderations", json=body, headers=headers, timeout=5)


def test_fake_moderations_follow_openai_request_rules(server: FakeOpenAIServer) -> None:
    ok = _post(server, {"input": ["hello", "I will kill you"]})
    assert ok.status_code == 200
    data = ok.json()
    assert data["id"].startswith("modr-") and data["model"] == "omni-moderation-latest"
    assert [r["flagged"] for r in data["results"]] == [False, True]
    assert len(data["results"][0]["categories"]) == 13
    assert set(data["results"][0]["category_scores"]) == set(data["results"][0]["categories"])

    multimodal = _post(server, {"input": [{"type": "text", "text": "hi"}], "model": "omni-moderation-latest"})
    assert multimodal.status_code == 200

    missing = _post(server, {"model": "omni-moderation-latest"})
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "message": "Missing required parameter: 'input'.",
        "type": "invalid_request_error",
        "param": "input",
        "code": "missing_required_parameter",
    }
    old_model = _post(server, {"input": "x", "model": "text-moderation-latest"})
    assert old_model.status_code == 400 and old_model.json()["error"]["param"] == "model"
    assert "omni-moderation-latest" in old_model.json()["error"]["message"]
    unknown = _post(server, {"input": "x", "temperature": 0})
    assert unknown.status_code == 400 and "temperature" in unknown.json()["error"]["message"]
    wrong_type = _post(server, {"input": [1, 2]})
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["param"] == "input"
    assert _post(server, {"input": "x"}, key=None).status_code == 401
    assert server.requests == []  # chat completion records are untouched


def test_flagged_model_answer_is_quarantined_in_a_generation_job(openai_env: FakeOpenAIServer) -> None:
    from core.jobs import start_job, wait_for
    from core.schemas import CourseParams
    from core.services import generation
    from core.services.courses import create_course

    params = CourseParams(
        topic="Conflict at work", module_count=1, lessons_per_module=1, total_duration_minutes=20
    )
    with session_scope() as session:
        course_id = int(create_course(session, params=params, actor=ADMIN).id or 0)
    outline = wait_for(
        int(start_job(kind=generation.KIND_OUTLINE, course_id=course_id, actor=ADMIN).id or 0), timeout=60
    )
    assert outline.status == "succeeded", outline.error_detail
    assert len(moderation_calls(openai_env)) == 1  # the outline answer was moderated too
    enqueue_moderation(openai_env, flagged("violence"))
    job = wait_for(
        int(start_job(kind=generation.KIND_LESSONS, course_id=course_id, actor=ADMIN).id or 0), timeout=60
    )
    # The only lesson is quarantined: nothing usable was written, so the job says partial.
    assert job.status == "partial", job.error_detail
    assert job.steps[0]["status"] == "draft" and "content policy" in job.steps[0]["detail"]
    with session_scope() as session:
        lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id)).one()
        rev = session.exec(
            select(Revision).where(Revision.node_type == "lesson", Revision.node_id == lesson.id)
        ).one()
    assert lesson.body_md == "" and rev.status == RevisionStatus.quarantined
    assert rev.findings == [{"kind": "moderation", "action": "block", "where": "", "sample": "violence"}]
    assert rev.content["body_md"]  # the model's answer is kept whole

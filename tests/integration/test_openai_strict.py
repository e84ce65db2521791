"""The strict fake OpenAI server (issue 8): it refuses what api.openai.com refuses, every
error it can answer reaches the user as a clear AppError, every job kind runs through it
over real HTTP with the real SDK, and a course is generated in each OPENAI_RESPONSE_FORMAT."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import col, select

from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import start_job, wait_for
from core.llm.gateway import CallContext, generate
from core.llm.providers import get_provider
from core.models import Job, JobStatus, Lesson, LLMCall, Module, Revision
from core.prompts import get_registry
from core.schemas import CourseParams, Outline
from core.services import generation
from core.services.courses import create_course, load_course
from core.services.prompt_lab import Variant, start_playground
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.fakes.openai_server import OPENAI_ERRORS, FakeOpenAIServer, ok, openai_error
from ui.history import repairs_line

KEY = "sk-test-strict-0123456789"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, db: str) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        for name, value in {
            "LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": fake.base_url,
            "HTTP_RETRIES": "0",
            "HTTP_TIMEOUT_S": "10",
            "GENERATION_CONCURRENCY": "2",
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield fake


def _post(server: FakeOpenAIServer, body: dict) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )


def _body(schema: dict, **extra: object) -> dict:
    return {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": 100,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Outline", "schema": schema, "strict": True},
        },
        **extra,
    }


# ------------------------------------------------------------------ the fake refuses


def test_the_fake_refuses_the_schema_pydantic_writes_as_openai_does(server: FakeOpenAIServer) -> None:
    resp = _post(server, _body(Outline.model_json_schema()))
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "response_format"
    assert error["message"].startswith("Invalid schema for response_format 'Outline': In context=(")
    assert error["message"].endswith("is not permitted.") or "Missing" in error["message"]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "object", "properties": {"a": {"type": "string", "maxLength": 5}}, "required": ["a"],
             "additionalProperties": False},
            "In context=('properties', 'a'), 'maxLength' is not permitted.",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "default": ""}}, "required": ["a"],
             "additionalProperties": False},
            "In context=('properties', 'a'), 'default' is not permitted.",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            "In context=(), 'additionalProperties' is required to be supplied and to be false.",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"],
             "additionalProperties": False},
            "In context=(), 'required' is required to be supplied and to be an array including every key in "
            "properties. Missing 'b'.",
        ),
    ],
    ids=["maxLength", "default", "additionalProperties", "required"],
)  # fmt: skip
def test_strict_schema_rules(server: FakeOpenAIServer, schema: dict, message: str) -> None:
    resp = _post(server, _body(schema))
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == f"Invalid schema for response_format 'Outline': {message}"
    # Non-strict json_schema is not checked (OpenAI treats it as a hint).
    body = _body(schema)
    body["response_format"]["json_schema"]["strict"] = False
    assert _post(server, body).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "param", "code"),
    [
        ({"model": "gpt-9"}, 404, None, "model_not_found"),
        ({"messages": [{"role": "bot", "content": "hi"}]}, 400, "messages[0].role", "invalid_value"),
        ({"messages": []}, 400, "messages", "empty_array"),
        ({"max_completion_tokens": 0}, 400, "max_completion_tokens", "integer_below_min_value"),
        ({"max_completion_tokens": 50_000}, 400, "max_tokens", "invalid_value"),
        ({"model": "o3", "max_tokens": 100, "max_completion_tokens": None}, 400, "max_tokens", "unsupported_parameter"),
        ({"model": "o3", "temperature": 0.4}, 400, "temperature", "unsupported_value"),
        ({"response_format": {"type": "json_object"}}, 400, "messages", None),
    ],
    ids=["unknown-model", "bad-role", "no-messages", "zero-tokens", "too-many-tokens", "max_tokens-on-o3",
         "temperature-on-o3", "json-mode-without-json"],
)  # fmt: skip
def test_request_rules(
    server: FakeOpenAIServer, change: dict, status: int, param: str | None, code: str | None
) -> None:
    body = {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": 10,
    }
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    resp = _post(server, body)
    assert resp.status_code == status
    error = resp.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    assert set(error) == {"message", "type", "param", "code"}


def test_missing_key_is_401(server: FakeOpenAIServer) -> None:
    resp = httpx.post(f"{server.base_url}/chat/completions", json={"model": "gpt-4.1-mini"}, timeout=10)
    assert resp.status_code == 401 and "didn't provide an API key" in resp.json()["error"]["message"]


def test_context_length_is_checked_against_the_model_window(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer(models={"gpt-4.1-mini": (2_000, 32_768)}) as fake:
        resp = _post(fake, {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}],
                            "max_completion_tokens": 6000})  # fmt: skip
    error = resp.json()["error"]
    assert resp.status_code == 400 and error["code"] == "context_length_exceeded"
    assert error["message"].startswith("This model's maximum context length is 2000 tokens.")


# ------------------------------------------------------------------ what the user sees


def _outline() -> object:
    params = CourseParams(
        topic="Negotiation", module_count=1, lessons_per_module=2, total_duration_minutes=40
    )
    return generate(
        provider=get_provider(),
        spec=get_registry().get("outline"),
        variables=params.model_dump(mode="json"),
        ctx=CallContext(step="outline"),
    )


# Each error the fake can answer, the code the job shows, whether a retry may help, and
# words the message must carry.
USER_SEES = {
    "invalid_api_key": (Code.OPENAI_AUTH, False, "Incorrect API key provided"),
    "unsupported_country": (Code.OPENAI_AUTH, False, "Country, region, or territory not supported"),
    "model_not_found": (Code.OPENAI_BAD_REQUEST, False, "does not exist or you do not have access"),
    "context_length_exceeded": (Code.OPENAI_BAD_REQUEST, False, "maximum context length"),
    "rate_limit_exceeded": (Code.OPENAI_RATE_LIMIT, True, "Rate limit reached"),
    "insufficient_quota": (Code.OPENAI_RATE_LIMIT, False, "exceeded your current quota"),
    "server_error": (Code.OPENAI_SERVER, True, "The server had an error"),
    "overloaded": (Code.OPENAI_SERVER, True, "currently overloaded"),
}


def test_every_error_the_fake_answers_is_listed() -> None:
    assert set(USER_SEES) == set(OPENAI_ERRORS)


@pytest.mark.parametrize("name", list(USER_SEES))
def test_each_openai_error_reaches_the_user_clearly(server: FakeOpenAIServer, name: str) -> None:
    code, retryable, words = USER_SEES[name]
    server.enqueue(openai_error(name))
    with pytest.raises(AppError) as err:
        _outline()
    status = OPENAI_ERRORS[name][0]
    assert (err.value.code, err.value.retryable) == (code, retryable)
    assert (
        err.value.message.startswith(f"OpenAI request failed (HTTP {status}): ")
        and words in err.value.message
    )
    assert KEY not in str(err.value)
    with session_scope() as session:
        call = session.exec(select(LLMCall)).one()
    assert (call.outcome, call.error_code, call.cost_usd) == ("error", code, 0.0)


def test_an_unknown_model_fails_the_job_naming_it(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_OUTLINE", "gpt-9")
    reset_settings()
    job = wait_for(int(generation.start_outline(course_id=_course(), actor=ADMIN).id or 0), timeout=60)
    assert job.status == JobStatus.failed and job.error_code == Code.OPENAI_BAD_REQUEST
    assert "The model `gpt-9` does not exist" in (job.error_detail or "")


def test_a_refused_response_format_says_which_setting_to_try(server: FakeOpenAIServer) -> None:
    # What a server without strict structured outputs answers (vLLM/Azure-style 400).
    server.enqueue(
        openai_error("server_error").__class__(
            "status",
            status=400,
            body={"error": {"message": "response_format json_schema with strict is not supported",
                            "type": "invalid_request_error", "param": "response_format", "code": None}},
        )
    )  # fmt: skip
    with pytest.raises(AppError) as err:
        _outline()
    assert err.value.code == Code.OPENAI_BAD_REQUEST
    assert "set OPENAI_RESPONSE_FORMAT=json_schema" in err.value.message


# ------------------------------------------------------------------ every job kind


def _course(modules: int = 1, lessons: int = 2, minutes: int = 40) -> int:
    params = CourseParams(
        topic="Incident response",
        module_count=modules,
        lessons_per_module=lessons,
        total_duration_minutes=minutes,
    )
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def _run(job: Job) -> Job:
    done = wait_for(int(job.id or 0), timeout=120)
    assert done.status == JobStatus.succeeded, done.error_detail
    return done


def _no_refusals(server: FakeOpenAIServer) -> None:
    # Every request the project made was one the strict server accepts.
    assert server.requests and all(r["model"] == "gpt-4.1-mini" for r in server.requests)
    with session_scope() as session:
        outcomes = set(session.exec(select(LLMCall.step, LLMCall.outcome, LLMCall.error_code)).all())
    assert {o for _, o, _ in outcomes} == {"ok"}, outcomes


def test_every_job_kind_runs_through_the_strict_fake(server: FakeOpenAIServer, tmp_path, monkeypatch) -> None:
    course_id = _course()
    _run(generation.start_outline(course_id=course_id, actor=ADMIN))
    _run(generation.start_lessons(course_id=course_id, actor=ADMIN))
    _run(generation.start_slides(course_id=course_id, actor=ADMIN))
    with session_scope() as session:
        module = session.exec(select(Module)).first()
        lesson = session.exec(select(Lesson).order_by(col(Lesson.id))).first()
    _run(
        generation.start_regenerate(
            course_id=course_id, node_type="module", node_id=int(module.id or 0), actor=ADMIN
        )
    )
    _run(
        generation.start_regenerate(
            course_id=course_id, node_type="lesson", node_id=int(lesson.id or 0), actor=ADMIN
        )
    )
    _run(
        generation.start_regenerate(
            course_id=course_id, node_type="slides", node_id=int(lesson.id or 0), actor=ADMIN
        )
    )
    variables = {
        "topic": "Negotiation", "audience": "sales", "level": "beginner", "language": "en",
        "total_duration_minutes": 60, "module_count": 2, "lessons_per_module": 2, "tone": "neutral",
        "constraints": "",
    }  # fmt: skip
    playground = _run(start_playground(prompt_id="outline", variants=[Variant(name="A", version="1.0.0")],
                                       variables=variables, actor=ADMIN))  # fmt: skip
    assert playground.result["variants"][0]["ok"] is True
    monkeypatch.setenv("EVAL_OUT_DIR", str(tmp_path / "evals"))
    _run(
        start_job(
            kind="eval", payload={"prompt_id": "outline", "version": "1.0.0", "repeats": 1}, actor=ADMIN
        )
    )
    _no_refusals(server)
    schemas = {r["response_format"]["json_schema"]["name"] for r in server.requests}
    assert schemas == {"Outline", "OutlineModule", "LessonDetail", "SlideDeck"}
    with session_scope() as session:
        assert {s for s in session.exec(select(LLMCall.step)).all()} >= {
            "outline", "lesson", "slides", "module", "playground", "eval"
        }  # fmt: skip


@pytest.mark.parametrize("mode", ["strict", "json_schema", "json_object", "none"])
def test_a_course_is_generated_in_each_response_format_mode(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("OPENAI_RESPONSE_FORMAT", mode)
    reset_settings()
    course_id = _course()
    _run(generation.start_course(course_id=course_id, actor=ADMIN))
    with session_scope() as session:
        doc = load_course(session, course_id)
    assert len(doc.lessons) == 2 and all(lesson.body_md and lesson.slides for lesson in doc.lessons)
    _no_refusals(server)
    first = server.requests[0]
    if mode in ("strict", "json_schema"):
        assert first["response_format"]["json_schema"]["strict"] is (mode == "strict")
        assert "max_completion_tokens" in first
    else:
        assert first.get("response_format") == ({"type": "json_object"} if mode == "json_object" else None)
        assert "JSON schema named Outline" in first["messages"][-1]["content"]
        assert "max_tokens" in first


# ------------------------------------------------------------------ repairs


def test_durations_twenty_times_the_total_still_complete_the_course(server: FakeOpenAIServer) -> None:
    course_id = _course(modules=2, lessons=3, minutes=120)
    bad = {
        "title": "Incident response in practice",
        "summary": "",
        "modules": [
            {
                "title": f"Module {m}",
                "summary": "",
                "objectives": ["Respond"],
                "lessons": [
                    {"title": f"Lesson {m}.{i}", "objectives": ["Act"], "duration_minutes": 400}
                    for i in range(3)
                ],
            }
            for m in range(2)
        ],
    }
    server.enqueue(ok(json.dumps(bad)))
    job = _run(generation.start_course(course_id=course_id, actor=ADMIN))
    with session_scope() as session:
        lessons = session.exec(select(Lesson)).all()
        course_rev = session.exec(
            select(Revision).where(Revision.node_type == "course", Revision.job_id == job.id)
        ).one()
        calls = session.exec(select(LLMCall).where(LLMCall.step == "outline")).all()
        doc = load_course(session, course_id)
    assert sum(lesson.duration_minutes for lesson in lessons) == 120
    assert [lesson.duration_minutes for lesson in lessons] == [20] * 6
    assert len(calls) == 1 and not calls[0].remediation  # repaired, not remediated
    (repair,) = course_rev.parameters["repairs"]
    assert repair["before"] == [400] * 6 and repair["after"] == [20] * 6 and "2400" in repair["reason"]
    assert repairs_line(course_rev.parameters) == "durations rescaled"
    assert all(lesson.body_md and lesson.slides for lesson in doc.lessons)

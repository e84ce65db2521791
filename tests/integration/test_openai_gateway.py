"""gateway.generate with the real OpenAIProvider over HTTP against the fake OpenAI server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import col, select

from core.db import session_scope
from core.errors import AppError, Code
from core.llm.gateway import CallContext, Generation, generate
from core.llm.providers import build_provider, get_provider
from core.llm.providers.openai_provider import OpenAIProvider
from core.models import LLMCall
from core.prompts import PromptSpec, get_registry
from core.schemas import CourseParams, LessonDetail, Outline, SlideDeck, outline_problems
from core.settings import get_settings, reset_settings
from tests.fakes.openai_server import FakeOpenAIServer, delay, malformed, ok, refusal, status, truncated

API_KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123456789"
PARAMS = CourseParams(
    topic="Python for data analysis",
    audience="junior analysts",
    module_count=3,
    lessons_per_module=2,
    total_duration_minutes=180,
)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer, any_db: str) -> FakeOpenAIServer:
    for name, value in {
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": server.base_url,
        "HTTP_RETRIES": "2",
        "HTTP_BACKOFF_BASE_S": "0.01",
        "HTTP_BACKOFF_MAX_S": "5",
        "HTTP_TIMEOUT_S": "10",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    return server


def _spec(prompt_id: str) -> PromptSpec:
    return get_registry().get(prompt_id)


def _outline(**kwargs: Any) -> Generation[Any]:
    return generate(
        provider=get_provider(),
        spec=_spec("outline"),
        variables=PARAMS.model_dump(mode="json"),
        ctx=CallContext(step="outline"),
        check=lambda outline: outline_problems(outline, PARAMS),
        **kwargs,
    )


def _calls() -> list[LLMCall]:
    with session_scope() as session:
        return list(session.exec(select(LLMCall).order_by(col(LLMCall.id))))


def _assert_priced_ok(call: LLMCall, spec: PromptSpec) -> None:
    assert call.provider == "openai"
    assert call.model.startswith("gpt-4.1-mini")
    assert (call.prompt_id, call.prompt_version, call.prompt_checksum) == (
        spec.prompt_id,
        spec.version,
        spec.checksum,
    )
    assert call.input_tokens > 0 and call.output_tokens > 0
    assert call.cost_usd > 0
    assert call.latency_ms > 0


def test_provider_is_openai_over_the_shared_client(openai_env: FakeOpenAIServer) -> None:
    provider = get_provider()
    assert isinstance(provider, OpenAIProvider)
    assert provider.name == "openai"


def test_outline_lesson_and_slides_succeed(openai_env: FakeOpenAIServer) -> None:
    outline_gen = _outline()
    assert outline_gen.ok, outline_gen.problems
    outline: Outline = outline_gen.value
    assert outline_problems(outline, PARAMS) == []

    module, lesson = outline.modules[0], outline.modules[0].lessons[0]
    lesson_vars = {
        "course_title": outline.title,
        "topic": PARAMS.topic,
        "audience": PARAMS.audience,
        "level": PARAMS.level.value,
        "language": "en",
        "tone": PARAMS.tone.value,
        "constraints": "",
        "module_title": module.title,
        "lesson_title": lesson.title,
        "objectives": lesson.objectives,
        "duration_minutes": lesson.duration_minutes,
    }
    lesson_gen = generate(
        provider=get_provider(), spec=_spec("lesson"), variables=lesson_vars, ctx=CallContext(step="lesson")
    )
    assert lesson_gen.ok and isinstance(lesson_gen.value, LessonDetail)
    assert lesson.title in lesson_gen.value.body_md

    slide_vars = {
        "course_title": outline.title,
        "language": "en",
        "tone": "neutral",
        "lesson_title": lesson.title,
        "body_md": lesson_gen.value.body_md,
        "key_points": lesson_gen.value.key_points,
        "slide_count": 5,
    }
    slides_gen = generate(
        provider=get_provider(), spec=_spec("slides"), variables=slide_vars, ctx=CallContext(step="slides")
    )
    assert slides_gen.ok and isinstance(slides_gen.value, SlideDeck)
    assert len(slides_gen.value.slides) == 5

    # What went over the wire: structured outputs from the SDK helper, our key, no SDK retries.
    first = openai_env.calls[0]
    assert first.headers["Authorization"] == f"Bearer {API_KEY}"
    body = openai_env.requests[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Outline"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["messages"][0]["role"] == "system"

    calls = _calls()
    assert [c.step for c in calls] == ["outline", "lesson", "slides"]
    for call, prompt_id in zip(calls, ["outline", "lesson", "slides"], strict=True):
        assert call.outcome == "ok" and call.error_code is None and not call.remediation
        _assert_priced_ok(call, _spec(prompt_id))
    assert outline_gen.cost_usd == pytest.approx(calls[0].cost_usd)


def test_429_with_retry_after_then_success(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(status(429, retry_after=1))
    gen = _outline()
    assert gen.ok
    first, second = openai_env.calls
    assert second.at - first.at >= 1.0
    calls = _calls()
    assert len(calls) == 1 and calls[0].outcome == "ok"  # transport retries are one gateway call


def test_500_then_success(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(status(500))
    assert _outline().ok
    assert len(openai_env.requests) == 2
    assert [c.outcome for c in _calls()] == ["ok"]


def test_timeout_after_retries(openai_env: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_TIMEOUT_S", "0.3")
    monkeypatch.setenv("HTTP_RETRIES", "1")
    reset_settings()
    openai_env.enqueue(delay(5), delay(5))
    with pytest.raises(AppError) as err:
        _outline()
    assert err.value.code == Code.OPENAI_TIMEOUT and err.value.retryable
    assert len(openai_env.requests) == 2
    calls = _calls()
    assert len(calls) == 1
    assert (calls[0].outcome, calls[0].error_code) == ("error", Code.OPENAI_TIMEOUT)
    assert calls[0].input_tokens == 0 and calls[0].cost_usd == 0


def test_401_is_auth_error_not_retried_and_key_never_leaks(
    openai_env: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A server that echoes the key back, as some proxies do.
    openai_env.enqueue(
        status(
            401,
            body={
                "error": {
                    "message": f"Incorrect API key provided: {API_KEY}",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
        )
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(AppError) as err:
        _outline()
    exc = err.value
    assert exc.code == Code.OPENAI_AUTH and not exc.retryable
    assert len(openai_env.requests) == 1
    assert "Incorrect API key provided" in exc.message
    for text in (str(exc), exc.message, repr(exc.details), caplog.text):
        assert API_KEY not in text
        assert API_KEY[8:] not in text
    assert exc.__cause__ is None and exc.__suppress_context__
    calls = _calls()
    assert (calls[0].outcome, calls[0].error_code) == ("error", Code.OPENAI_AUTH)


@pytest.mark.parametrize(
    ("code", "expected", "retryable"),
    [
        (400, Code.OPENAI_BAD_REQUEST, False),
        (403, Code.OPENAI_AUTH, False),
        (404, Code.OPENAI_BAD_REQUEST, False),
        (503, Code.OPENAI_SERVER, True),
    ],
)
def test_status_codes_map_to_app_errors(
    openai_env: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, code: int, expected: Code, retryable: bool
) -> None:
    monkeypatch.setenv("HTTP_RETRIES", "0")
    reset_settings()
    openai_env.enqueue(status(code))
    with pytest.raises(AppError) as err:
        _outline()
    assert (err.value.code, err.value.retryable) == (expected, retryable)


def test_connection_refused_is_a_connection_error(openai_env: FakeOpenAIServer, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # the discard port: nobody listens
    monkeypatch.setenv("HTTP_RETRIES", "0")
    reset_settings()
    with pytest.raises(AppError) as err:
        _outline()
    assert err.value.code == Code.OPENAI_CONNECTION and err.value.retryable


def test_malformed_json_is_remediated_with_the_problems(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(malformed())
    gen = _outline()
    assert gen.ok and gen.remediated
    first, second = openai_env.requests
    assert len(second["messages"]) == len(first["messages"]) + 2
    assistant, fix = second["messages"][-2:]
    assert assistant["role"] == "assistant" and assistant["content"].startswith("Sure!")
    assert fix["role"] == "user" and "the answer is not valid JSON" in fix["content"]
    assert gen.problems == []
    calls = _calls()
    assert [(c.outcome, c.error_code, c.remediation) for c in calls] == [
        ("invalid", Code.LLM_INVALID_OUTPUT, False),
        ("ok", None, True),
    ]
    for call in calls:
        _assert_priced_ok(call, _spec("outline"))
    # The remediation repeats the system prompt: the (fake) server reports it as cached.
    assert calls[0].cached_tokens == 0 < calls[1].cached_tokens < calls[1].input_tokens
    assert gen.cached_tokens == calls[1].cached_tokens
    assert gen.cost_usd == pytest.approx(sum(c.cost_usd for c in calls))


def test_constraint_problems_reach_the_remediation_request(openai_env: FakeOpenAIServer) -> None:
    wrong = Outline.model_validate(
        {
            "title": "Short course",
            "modules": [
                {
                    "title": "Only module",
                    "objectives": ["Learn"],
                    "lessons": [{"title": "Only lesson", "objectives": ["Do"], "duration_minutes": 10}],
                }
            ],
        }
    )
    openai_env.enqueue(ok(wrong.model_dump_json()))
    gen = _outline()
    assert gen.ok and gen.remediated
    fix = openai_env.requests[1]["messages"][-1]["content"]
    assert "expected exactly 3 modules, got 1" in fix
    assert "they must add up to 180" in fix


def test_malformed_twice_keeps_the_raw_text_as_a_draft(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(malformed(), malformed())
    gen = _outline()
    assert not gen.ok
    assert gen.error_code == Code.LLM_INVALID_OUTPUT
    assert gen.raw_text.startswith("Sure! Here is the JSON")
    assert gen.problems
    calls = _calls()
    assert [(c.outcome, c.error_code, c.remediation) for c in calls] == [
        ("invalid", Code.LLM_INVALID_OUTPUT, False),
        ("invalid", Code.LLM_INVALID_OUTPUT, True),
    ]
    assert all(c.cost_usd > 0 for c in calls)


def test_refusal(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(refusal("I can't help with that."))
    gen = _outline()
    assert not gen.ok and gen.error_code == Code.LLM_REFUSED
    assert gen.raw_text == "I can't help with that."
    calls = _calls()
    assert [(c.outcome, c.error_code) for c in calls] == [("refused", Code.LLM_REFUSED)]
    assert len(openai_env.requests) == 1  # a refusal is not remediated


def test_truncated_answer_is_remediated(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(truncated())
    gen = _outline()
    assert gen.ok and gen.remediated
    fix = openai_env.requests[1]["messages"][-1]["content"]
    assert "cut off at the output token limit" in fix
    calls = _calls()
    assert [(c.outcome, c.error_code) for c in calls] == [("invalid", Code.LLM_TRUNCATED), ("ok", None)]


def test_truncated_twice_is_a_truncated_draft(openai_env: FakeOpenAIServer) -> None:
    openai_env.enqueue(truncated(), truncated())
    gen = _outline()
    assert not gen.ok and gen.error_code == Code.LLM_TRUNCATED and gen.raw_text


def test_extra_instruction_reaches_the_server_and_changes_the_answer(openai_env: FakeOpenAIServer) -> None:
    plain = _outline()
    shorter = _outline(extra_instruction="make it shorter")
    assert plain.ok and shorter.ok
    assert openai_env.requests[1]["messages"][-1]["content"] == (
        "Additional instruction:\n<user_data>\nmake it shorter\n</user_data>"
    )
    assert shorter.value.model_dump() != plain.value.model_dump()


def test_build_provider_with_explicit_settings_and_client(server: FakeOpenAIServer) -> None:
    from core.http import build_http_client

    settings = get_settings().model_copy(update={"OPENAI_BASE_URL": server.base_url})
    with build_http_client(settings) as client:
        provider = build_provider("openai", settings, client)
        models = provider._client.models.list()  # the SDK's other endpoint over the same client
    assert [m.id for m in models.data][:1] == ["gpt-4.1"]

"""issue 18: the Batch API client (core/llm/batch.py) through the real SDK over loopback
HTTP against the fake's files and batches endpoints."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pydantic import BaseModel

from core.errors import AppError
from core.llm.base import LLMRequest
from core.llm.batch import BatchClient, batch_cost, batch_failure
from core.llm.pricing import cost_usd
from core.llm.providers import build_provider, reset_provider
from core.llm.providers.openai_provider import OpenAIProvider
from core.schemas import LessonDetail
from core.settings import get_settings, reset_settings
from tests.fakes.openai_server import FakeOpenAIServer, set_batch_delay


class Answer(BaseModel):
    answer: str


def _client(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAIServer) -> BatchClient:
    for key, value in {
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test-abcdefghijklmnopqrstuvwxyz0123456789",
        "OPENAI_BASE_URL": server.base_url,
        "HTTP_RETRIES": "0",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    reset_provider()
    provider = build_provider("openai", get_settings())
    assert isinstance(provider, OpenAIProvider)
    return BatchClient(provider)


def _request(text: str, schema: type[BaseModel] = Answer, **kwargs: Any) -> LLMRequest:
    return LLMRequest(step="lesson", messages=[{"role": "user", "content": text}], schema=schema,
                      model="gpt-4.1-mini", **kwargs)  # fmt: skip


def _wait(client: BatchClient, batch_id: str) -> Any:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        batch = client.status(batch_id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return batch
        time.sleep(0.05)  # polling interval, bounded by the deadline
    raise AssertionError("the batch did not finish")


def test_requests_go_up_as_jsonl_and_come_back_by_custom_id(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer() as server:
        set_batch_delay(server, 0.3)
        client = _client(monkeypatch, server)
        requests = {
            "lesson:1": _request("Write lesson one", LessonDetail, max_output_tokens=3000),
            "lesson:2": _request("Write lesson two", LessonDetail, max_output_tokens=3000),
            "too-long": _request("This one asks for too much", max_output_tokens=999_999),
        }
        lines = [json.loads(line) for line in client.jsonl(requests).decode().splitlines()]
        assert {line["url"] for line in lines} == {"/v1/chat/completions"}
        assert [line["custom_id"] for line in lines] == list(requests)
        batch_id = client.submit(requests, metadata={"job": "7"})
        assert client.status(batch_id).status in ("validating", "in_progress")
        batch = _wait(client, batch_id)
        assert batch.status == "completed"
        assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (
            3,
            2,
            1,
        )
        results = client.results(batch)
    assert set(results) == set(requests)
    for cid in ("lesson:1", "lesson:2"):
        answer = results[cid].response
        assert answer is not None and answer.input_tokens > 0
        LessonDetail.model_validate_json(answer.text)  # the same validation as a live answer
    assert results["too-long"].response is None
    assert results["too-long"].status_code == 400
    assert "max_tokens is too large" in (results["too-long"].error or "")


def test_a_file_the_batch_rules_refuse_fails_the_batch_with_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer() as server:
        set_batch_delay(server, 0.1)
        client = _client(monkeypatch, server)
        # Two lines with one custom id: written by hand, as our jsonl() cannot produce it.
        line = {"custom_id": "same", "method": "POST", "url": "/v1/chat/completions",
                "body": client.provider._params(_request("x"))}  # fmt: skip
        data = (json.dumps(line) + "\n" + json.dumps(line) + "\n").encode()
        uploaded = client._client.files.create(file=("dup.jsonl", data), purpose="batch")
        batch_id = client._client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        ).id
        batch = _wait(client, batch_id)
    assert batch.status == "failed"
    assert batch.errors.data[0].code == "duplicate_custom_id" and batch.errors.data[0].line == 2
    failure = batch_failure(batch)
    assert failure is not None and "line 2" in failure.message


def test_batches_refuse_what_the_api_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer() as server:
        client = _client(monkeypatch, server)
        uploaded = client._client.files.create(file=("a.jsonl", b"{}\n"), purpose="assistants")
        with pytest.raises(AppError, match="purpose 'batch'"):
            try:
                client._client.batches.create(
                    input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
                )
            except Exception as exc:  # the SDK's error, as the provider words it
                raise client.provider._app_error(exc) from None  # type: ignore[arg-type]
        with pytest.raises(Exception, match="completion_window"):
            client._client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="1h",  # type: ignore[arg-type]
            )
        with pytest.raises(ValueError, match="one model"):
            client.jsonl({"a": _request("x"), "b": LLMRequest(step="x", messages=[{"role": "user", "content": "y"}],
                                                               schema=Answer, model="gpt-4.1")})  # fmt: skip


def test_batch_calls_cost_half_the_live_price() -> None:
    live = cost_usd("gpt-4.1-mini", 10_000, 2_000, 4_000)
    assert live > 0
    assert batch_cost("gpt-4.1-mini", 10_000, 2_000, 4_000) == pytest.approx(live / 2)

"""The model-call scheduler with real threads (and processes via Redis) driving the real
OpenAI SDK over loopback HTTP against the fake server's rate limits."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from pydantic import BaseModel
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from core.llm.base import LLMProvider, LLMRequest
from core.llm.providers import build_provider, reset_provider
from core.llm.scheduler import RedisBackend, call_scope, get_scheduler
from core.settings import get_settings, reset_settings
from tests.fakes.openai_server import FakeOpenAIServer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MODEL = "gpt-4.1-mini"


class Answer(BaseModel):
    answer: str


def _env(base_url: str, **extra: str) -> dict[str, str]:
    return {
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test-abcdefghijklmnopqrstuvwxyz0123456789",
        "OPENAI_BASE_URL": base_url,
        "HTTP_RETRIES": "8",
        "HTTP_BACKOFF_BASE_S": "0.05",
        "HTTP_BACKOFF_MAX_S": "5",
        **extra,
    }


def _configure(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> LLMProvider:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    reset_provider()
    return build_provider("openai", get_settings())


def _request(text: str) -> LLMRequest:
    return LLMRequest(
        step="lesson",
        messages=[{"role": "user", "content": text}],
        schema=Answer,
        model=MODEL,
        max_output_tokens=50,
    )


def _run_jobs(provider: LLMProvider, jobs: int, threads: int, calls: int) -> list[BaseException]:
    """`jobs` jobs, each with `threads` threads making `calls` calls; returns the errors."""
    errors: list[BaseException] = []
    start = threading.Barrier(jobs * threads)

    def worker(job: int, thread: int) -> None:
        start.wait()
        with call_scope(job_id=job + 1):
            for i in range(calls):
                try:
                    provider.complete(_request(f"job {job} thread {thread} call {i}"))
                except BaseException as exc:  # collected for the assertion
                    errors.append(exc)

    pool = [threading.Thread(target=worker, args=(j, t)) for j in range(jobs) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    return errors


def _key(server: FakeOpenAIServer) -> str:
    return f"{urlsplit(server.base_url).netloc}/{MODEL}"


def test_concurrent_jobs_follow_the_rate_limit_headers_and_meet_no_429(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeOpenAIServer(latency_ms=20, rate_limit=(20, 1.5)) as server:
        provider = _configure(monkeypatch, _env(server.base_url))
        errors = _run_jobs(provider, jobs=4, threads=3, calls=5)
        assert errors == []
        assert len(server.requests) == 60
        assert server.throttled == 0
        state = get_scheduler().snapshot(_key(server))  # type: ignore[union-attr]
        assert state["granted"] == 60 and state["throttled"] == 0


def test_without_the_scheduler_the_same_burst_meets_429s(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contrast that shows the test above can fail: the limit is real."""
    with FakeOpenAIServer(latency_ms=20, rate_limit=(20, 10.0)) as server:
        provider = _configure(monkeypatch, _env(server.base_url, LLM_LIMITER="off", HTTP_RETRIES="0"))
        errors = _run_jobs(provider, jobs=2, threads=15, calls=1)
        # 30 calls at once against 20 a window: about 10 refused (fewer if the burst
        # straddles a window's end on a loaded machine).
        assert server.throttled >= 5
        assert len(errors) == server.throttled


def test_without_headers_the_window_backs_off_and_429s_stay_rare(monkeypatch: pytest.MonkeyPatch) -> None:
    # A server that sends no rate-limit headers and refuses past 3 calls in flight.
    with FakeOpenAIServer(latency_ms=30, rate_headers=False, max_in_flight=3) as server:
        provider = _configure(monkeypatch, _env(server.base_url, LLM_START_IN_FLIGHT="4"))
        errors = _run_jobs(provider, jobs=3, threads=4, calls=5)
        assert errors == []
        assert len(server.requests) == 60 + server.throttled  # 429s are retried
        state = get_scheduler().snapshot(_key(server))  # type: ignore[union-attr]
        assert state["throttled"] == server.throttled
        assert server.throttled <= 9  # 15% of the calls; without the scheduler see below
        assert state["window"] <= 4

    with FakeOpenAIServer(latency_ms=30, rate_headers=False, max_in_flight=3) as server:
        provider = _configure(monkeypatch, _env(server.base_url, LLM_LIMITER="off"))
        _run_jobs(provider, jobs=3, threads=4, calls=5)
        assert server.throttled > 20


def test_a_regeneration_is_served_before_a_course_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer(latency_ms=100) as server:
        provider = _configure(
            monkeypatch, _env(server.base_url, LLM_MAX_IN_FLIGHT="2", LLM_START_IN_FLIGHT="2")
        )
        scheduler = get_scheduler()
        assert scheduler is not None
        course = threading.Thread(target=_run_jobs, args=(provider, 1, 10, 3))
        course.start()
        _until(lambda: len(scheduler.snapshot(_key(server))["waiters"]) >= 8)
        seen_before = len(server.requests)

        def regenerate() -> None:
            with call_scope(job_id=99, interactive=True):
                provider.complete(_request("regenerate one lesson"))

        regen = threading.Thread(target=regenerate)
        regen.start()
        regen.join(30)
        course.join(60)
        texts = [r["messages"][0]["content"] for r in server.requests]
        at = texts.index("regenerate one lesson")
        # Only the calls already granted when it asked (at most 2 in flight) went before it.
        assert at - seen_before <= 2
        assert len(texts) == 31


def _until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    wait = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        wait.wait(0.01)
    raise AssertionError("condition not met in time")


def test_an_unreachable_redis_limits_within_the_process_and_calls_go_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"redis://127.0.0.1:{_closed_port()}/0"
    with FakeOpenAIServer(latency_ms=10) as server:
        provider = _configure(monkeypatch, _env(server.base_url, REDIS_URL=closed, LLM_MAX_IN_FLIGHT="2"))
        assert _run_jobs(provider, jobs=2, threads=3, calls=2) == []
        assert len(server.requests) == 12
        assert server.peak_in_flight <= 2  # still limited, by the in-process fallback
    assert "limiting within this process" in caplog.text


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ processes sharing Redis


def _worker_process(env: dict[str, str], job: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.environ.update(env)
    reset_settings()
    reset_provider()
    provider = build_provider("openai", get_settings())
    errors = _run_jobs(provider, jobs=1, threads=4, calls=4) if job else []
    out.put(len(errors))


@pytest.mark.redis
def test_worker_processes_share_one_limiter_through_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError as exc:
        pytest.fail(f"Redis is required for this test and is not reachable at {REDIS_URL}: {exc}")
    with FakeOpenAIServer(latency_ms=50, rate_limit=(12, 1.0)) as server:
        env = _env(server.base_url, REDIS_URL=REDIS_URL, LLM_MAX_IN_FLIGHT="3", LLM_LIMITER="redis")
        RedisBackend(REDIS_URL, 3, 3).clear(_key(server))
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        procs = [ctx.Process(target=_worker_process, args=(env, job + 1, out)) for job in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0]
        assert [out.get(timeout=5), out.get(timeout=5)] == [0, 0]
        assert len(server.requests) == 32
        # One picture for both processes: never more in flight than the shared cap (each
        # process alone would allow 3), and the request limit was never hit.
        assert server.peak_in_flight <= 3
        assert server.throttled <= 1
        state = RedisBackend(REDIS_URL, 3, 3).snapshot(_key(server))
        assert state["granted"] == len(server.requests) + server.throttled
        RedisBackend(REDIS_URL, 3, 3).clear(_key(server))


@pytest.fixture(autouse=True)
def _fresh_scheduler() -> Iterator[None]:
    yield
    reset_provider()

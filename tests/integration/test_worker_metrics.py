"""Metrics scraped from a real worker after a generation (RQ on the real Redis, work
horses forked per job, prometheus-client multiprocess mode), and the log lines of that
full run carry context and never the API key."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlmodel import select

from core.db import session_scope
from core.jobs import wait_for
from core.models import JobStatus, LLMCall
from core.services.courses import create_course, validate_params
from core.services.generation import start_course
from core.settings import ROOT, reset_settings
from tests.actors import ADMIN

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
API_KEY = "sk-test-" + "Zq7" * 12  # must never appear in a log line
pytestmark = pytest.mark.redis


@pytest.fixture
def worker(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Path]]:
    """A `python -m workers` process serving metrics on a free loopback port."""
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError as exc:
        pytest.fail(f"Redis is required for this test and is not reachable at {REDIS_URL}: {exc}")
    env = {
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": f"cs-test-{uuid.uuid4().hex[:8]}",
        # The offline provider writes the content; the key is set to prove it is redacted.
        "LLM_PROVIDER": "offline",
        "OPENAI_API_KEY": API_KEY,
        "LOG_LEVEL": "DEBUG",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    log = tmp_path / "worker.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "METRICS_PORT": "0",
            "METRICS_ADDR": "127.0.0.1",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        },
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        port = None
        while port is None:
            match = re.search(r'"metrics_port": (\d+)', log.read_text(errors="replace"))
            if match:
                port = int(match.group(1))
            elif proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start its metrics endpoint:\n{log.read_text()[-3000:]}")
            else:
                time.sleep(0.1)
        yield port, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        Redis.from_url(REDIS_URL).delete(f"rq:queue:{env['RQ_QUEUE']}")


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    samples = {}
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and not line.startswith("#"):
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
            samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def _course() -> int:
    params = validate_params(
        {
            "topic": "Metrics for operators",
            "audience": "on-call engineers",
            "level": "beginner",
            "total_duration_minutes": 60,
            "language": "en",
            "module_count": 2,
            "lessons_per_module": 2,
        }
    )
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def test_worker_metrics_count_a_generation(worker: tuple[int, Path]) -> None:
    port, log = worker
    job = start_course(course_id=_course(), actor=ADMIN)
    done = wait_for(int(job.id or 0), timeout=180)
    assert done.status == JobStatus.succeeded and done.worker and str(os.getpid()) not in done.worker

    with session_scope() as session:
        calls = list(session.exec(select(LLMCall).where(LLMCall.job_id == done.id)))
    assert calls
    m = _scrape(port)

    def value(name: str, **labels: str) -> float:
        return m.get((name, frozenset(labels.items())), 0.0)

    assert value("course_studio_jobs_total", kind="course", outcome="succeeded") == 1
    assert value("course_studio_job_duration_seconds_count", kind="course", outcome="succeeded") == 1
    assert value("course_studio_job_cost_usd_count", kind="course") == 1
    # Model calls by model, prompt and outcome: exactly the rows the gateway recorded.
    expected = Counter((c.model, c.prompt_id, c.outcome) for c in calls)
    scraped = {
        (dict(labels)["model"], dict(labels)["prompt"], dict(labels)["outcome"]): v
        for (name, labels), v in m.items()
        if name == "course_studio_llm_calls_total"
    }
    assert scraped == expected
    for model in {c.model for c in calls}:
        assert value("course_studio_llm_tokens_total", model=model, kind="input") == sum(
            c.input_tokens for c in calls if c.model == model
        )
        assert value("course_studio_llm_tokens_total", model=model, kind="output") == sum(
            c.output_tokens for c in calls if c.model == model
        )
    latency_count = sum(v for (n, _), v in m.items() if n == "course_studio_llm_call_duration_seconds_count")
    assert latency_count == len(calls)
    queue = os.environ["RQ_QUEUE"]
    assert value("course_studio_queue_depth", queue=queue) == 0
    assert value("course_studio_jobs_queued") == 0

    # The worker's log lines of this run: JSON, with the job's context, never the key.
    lines = log.read_text(errors="replace").splitlines()
    assert lines
    assert not [line for line in lines if API_KEY in line or API_KEY[:20] in line]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    finished = [r for r in records if r["msg"] == "job finished"]
    assert finished and finished[0]["job_id"] == done.id and finished[0]["course_id"] == done.course_id
    assert finished[0]["outcome"] == "succeeded"


def test_http_retries_are_counted_by_host_and_reason() -> None:
    from prometheus_client import REGISTRY

    from core.http import RetryTransport

    answers = iter([httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(200, json={})])
    transport = RetryTransport(
        httpx.MockTransport(lambda request: next(answers)),
        retries=2,
        backoff_base_s=0,
        backoff_max_s=0,
        sleep=lambda _s: None,
    )
    labels = {"host": "llm.example.test", "reason": "429"}
    before = REGISTRY.get_sample_value("course_studio_http_retries_total", labels) or 0.0
    with httpx.Client(transport=transport) as client:
        assert client.get("https://llm.example.test/v1/x").status_code == 200
    assert REGISTRY.get_sample_value("course_studio_http_retries_total", labels) == before + 1

"""The shared httpx client: retries with backoff over a real loopback server, proxy, logs."""

from __future__ import annotations

import json
import logging
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from core.http import (
    RetryTransport,
    build_http_client,
    close_http_client,
    get_http_client,
    parse_retry_after,
)
from core.settings import Settings, reset_settings
from tests.fakes.openai_server import FakeOpenAIServer, delay, ok, status

SECRET = "sk-test-SECRETSECRET1234567890"


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"HTTP_RETRIES": 3, "HTTP_BACKOFF_BASE_S": 0.01, "HTTP_BACKOFF_MAX_S": 5.0}
    return Settings(**{**values, **overrides})


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _retries(host: str) -> float:
    """Retries counted for a host in the exported metric, whatever the reason."""
    from prometheus_client import REGISTRY

    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "course_studio_http_retries"
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("host") == host
    )


# A request the (strict) fake accepts: a key and one message (issue 8 made it check them).
VALID_REQUEST = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}


def _post(client: httpx.Client, server: FakeOpenAIServer, **kwargs: Any) -> httpx.Response:
    return client.post(
        f"{server.base_url}/chat/completions",
        json=VALID_REQUEST,
        headers={"Authorization": "Bearer sk-test-http-0123456789"},
        **kwargs,
    )


def test_429_waits_at_least_retry_after_seconds(server: FakeOpenAIServer) -> None:
    server.enqueue(status(429, retry_after=1), ok("{}"))
    with build_http_client(_settings()) as client:
        response = _post(client, server)
    assert response.status_code == 200
    first, second = server.calls
    assert second.at - first.at >= 1.0
    assert server.requests[0] == server.requests[1]  # the body is replayed unchanged


def test_retry_after_ms_is_honoured(server: FakeOpenAIServer) -> None:
    server.enqueue(status(429, retry_after_ms=300), ok("{}"))
    with build_http_client(_settings()) as client:
        assert _post(client, server).status_code == 200
    first, second = server.calls
    assert second.at - first.at >= 0.3


def test_503_is_retried_then_succeeds_and_metrics_count_it(server: FakeOpenAIServer) -> None:
    server.enqueue(status(503), status(503), ok("{}"))
    before = _retries("127.0.0.1")
    with build_http_client(_settings()) as client:
        assert _post(client, server).status_code == 200
    assert len(server.calls) == 3
    assert _retries("127.0.0.1") - before == 2


def test_exhausted_retries_return_the_last_error(server: FakeOpenAIServer) -> None:
    server.enqueue(*[status(500)] * 3, ok("{}"))
    with build_http_client(_settings(HTTP_RETRIES=2)) as client:
        response = _post(client, server)
    assert response.status_code == 500
    assert len(server.calls) == 3


@pytest.mark.parametrize("code", [400, 401, 404])
def test_client_errors_are_not_retried(server: FakeOpenAIServer, code: int) -> None:
    server.enqueue(status(code), ok("{}"))
    with build_http_client(_settings()) as client:
        assert _post(client, server).status_code == code
    assert len(server.calls) == 1


def test_retry_after_beyond_the_ceiling_is_handed_back(server: FakeOpenAIServer) -> None:
    server.enqueue(status(429, retry_after=120), ok("{}"))
    with build_http_client(_settings(HTTP_BACKOFF_MAX_S=2)) as client:
        assert _post(client, server).status_code == 429
    assert len(server.calls) == 1


def test_read_timeout_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(delay(5), ok("{}"))
    with build_http_client(_settings(HTTP_TIMEOUT_S=0.3)) as client:
        assert _post(client, server).status_code == 200
    assert len(server.calls) == 2


def test_read_timeouts_exhausted_raise(server: FakeOpenAIServer) -> None:
    server.enqueue(delay(5), delay(5))
    with (
        build_http_client(_settings(HTTP_TIMEOUT_S=0.2, HTTP_RETRIES=1)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        _post(client, server)
    assert len(server.calls) == 2


def test_connection_refused_is_retried_then_raised() -> None:
    before = _retries("127.0.0.1")
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with build_http_client(_settings(HTTP_RETRIES=2)) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")
    assert _retries("127.0.0.1") - before == 2  # three attempts, all refused


def test_backoff_is_full_jitter_within_the_exponential_ceiling() -> None:
    transport = RetryTransport(
        httpx.MockTransport(lambda r: httpx.Response(200)),
        retries=5,
        backoff_base_s=0.5,
        backoff_max_s=3.0,
        rng=random.Random(7),
    )
    for attempt in range(6):
        ceiling = min(3.0, 0.5 * 2**attempt)
        samples = [transport.backoff(attempt) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # spread over the whole range, not a fixed step


def test_retry_delay_uses_the_injected_sleep() -> None:
    answers = iter([httpx.Response(503, headers={"retry-after": "2"}), httpx.Response(200)])
    slept: list[float] = []
    transport = RetryTransport(
        httpx.MockTransport(lambda r: next(answers)),
        retries=2,
        backoff_base_s=0.01,
        backoff_max_s=10,
        sleep=slept.append,
    )
    with httpx.Client(transport=transport) as client:
        assert client.get("http://api.test/x").status_code == 200
    assert len(slept) == 1 and slept[0] >= 2


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(httpx.Headers({"retry-after": date}), now=now) == pytest.approx(30)
    assert parse_retry_after(httpx.Headers({"retry-after": "1.5"})) == 1.5
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert parse_retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None
    past = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(httpx.Headers({"retry-after": past}), now=now) == 0


class _ProxyHandler(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        # A forward proxy receives the absolute URL in the request line.
        type(self).seen.append(self.path)
        body = json.dumps({"via": "proxy"}).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_proxy_setting_is_used() -> None:
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        settings = _settings(HTTP_PROXY=f"http://127.0.0.1:{proxy.server_address[1]}")
        with build_http_client(settings) as client, FakeOpenAIServer() as fake:
            response = client.get("http://upstream.invalid/v1/models")
            assert response.json() == {"via": "proxy"}
            assert _ProxyHandler.seen == ["http://upstream.invalid/v1/models"]
            # Loopback servers are reached directly, still with retries.
            fake.enqueue(status(503), ok("{}"))
            assert _post(client, fake).status_code == 200
            assert len(fake.calls) == 2
        assert len(_ProxyHandler.seen) == 1
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_timeouts_come_from_settings() -> None:
    with build_http_client(_settings(HTTP_TIMEOUT_S=12, HTTP_CONNECT_TIMEOUT_S=3)) as client:
        assert client.timeout.read == 12 and client.timeout.connect == 3


def test_secrets_never_reach_the_logs(server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture) -> None:
    server.enqueue(status(429, retry_after=0), status(500), ok("{}"))
    with caplog.at_level(logging.DEBUG), build_http_client(_settings()) as client:
        response = client.post(
            f"{server.base_url}/chat/completions?api_key={SECRET}",
            headers={"Authorization": f"Bearer {SECRET}"},
            json={**VALID_REQUEST, "user": SECRET},
        )
    assert response.status_code == 200
    retries = [r for r in caplog.records if r.name == "core.http"]
    assert len(retries) == 2 and "/v1/chat/completions" in retries[0].getMessage()
    assert SECRET not in caplog.text
    assert "Bearer" not in caplog.text


def test_shared_client_is_cached_and_rebuilt_after_settings_change(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_http_client()
    assert get_http_client() is first
    monkeypatch.setenv("HTTP_TIMEOUT_S", "7")
    reset_settings()
    second = get_http_client()
    assert second is not first and second.timeout.read == 7
    assert first.is_closed
    close_http_client()
    assert second.is_closed


def test_fake_server_latency_is_concurrent() -> None:
    """Parallel calls each wait their own latency: all arrive before the first answer leaves."""
    with FakeOpenAIServer(latency_ms=400) as fake, build_http_client(_settings()) as client:
        received: list[float] = []
        lock = threading.Lock()

        def call() -> None:
            _post(client, fake)
            with lock:
                received.append(time.monotonic())

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        arrivals = [c.at for c in fake.calls]
    assert len(arrivals) == len(received) == 8
    assert max(arrivals) < min(received)
    assert min(received) - min(arrivals) >= 0.4


def test_fake_server_runs_standalone() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--port", "0", "--latency-ms", "10"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert httpx.get(f"{base_url}/models", timeout=10).json()["object"] == "list"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

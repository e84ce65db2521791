"""The one httpx client factory for every external call: timeouts, proxy, retries, metrics.

Retries live in a wrapping transport (``RetryTransport``) rather than in callers, so the
OpenAI SDK (run with ``max_retries=0``) and any other client built here get the same
policy: exponential backoff with full jitter, honouring ``Retry-After`` /
``retry-after-ms`` on 429/500/502/503/504, and retrying connect/read timeouts.

Logs name the method, host and path only: never headers (Authorization), query strings
(some APIs put keys there) or bodies.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable

import httpx

from core import instrument
from core.retry_after import parse_retry_after
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Query parameters whose values are credentials on some APIs.
_SECRET_PARAM = re.compile(r"(key|token|secret|sig|signature|password|auth)", re.I)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Request not sent yet (connect) or the answer is late (read): both safe enough to retry
# for our callers, whose requests have no side effects beyond cost.
RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.ConnectError,
)


def redact_url(url: httpx.URL) -> str:
    """The URL with credential-looking query values masked, fit for a log line."""
    if not url.query:
        return str(url)
    params = [(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in url.params.multi_items()]
    return str(url.copy_with(params=params))


class _RedactUrls(logging.Filter):
    """httpx logs every request URL at INFO; mask keys that some APIs take in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


_redact_filter = _RedactUrls()


def _install_log_redaction() -> None:
    httpx_log = logging.getLogger("httpx")
    if _redact_filter not in httpx_log.filters:
        httpx_log.addFilter(_redact_filter)


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport with retries and backoff with full jitter; retries are counted in
    the exported metrics (course_studio_http_retries, by host and reason)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        retries: int,
        backoff_base_s: float,
        backoff_max_s: float,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._inner = inner
        self.retries = retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._sleep = sleep
        self._rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2**attempt)]."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return self._rng.uniform(0, ceiling)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # A streamed body can be sent once only; buffering it makes every retry identical.
        request.read()
        attempt = 0
        while True:
            try:
                response = self._inner.handle_request(request)
            except RETRY_EXCEPTIONS as exc:
                if attempt >= self.retries:
                    raise
                delay = self.backoff(attempt)
                self._log_retry(request, attempt, delay, type(exc).__name__)
            else:
                failed = response.status_code in RETRY_STATUSES
                wait = self._retry_delay(response, attempt) if failed else None
                if wait is None:
                    return response
                delay = wait
                response.close()  # frees the pooled connection before we sleep
                self._log_retry(request, attempt, delay, str(response.status_code))
            self._sleep(delay)
            attempt += 1

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to hand the response back."""
        if attempt >= self.retries:
            return None
        asked = parse_retry_after(response.headers)
        if asked is None:
            return self.backoff(attempt)
        # A server asking for longer than our ceiling gets its answer back at once: the
        # caller (a job) can reschedule instead of holding a worker thread for minutes.
        if asked > max(self.backoff_max_s, 0.0):
            return None
        return max(asked, self.backoff(attempt))

    @staticmethod
    def _log_retry(request: httpx.Request, attempt: int, delay: float, reason: str) -> None:
        instrument.http_retry(request.url.host, reason)
        log.warning(
            "http retry %d: %s %s%s after %s, waiting %.2fs",
            attempt + 1,
            request.method,
            request.url.host,
            request.url.path,
            reason,
            delay,
        )

    def close(self) -> None:
        self._inner.close()


def build_http_client(
    settings: Settings | None = None, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client with our timeouts, proxy and retry policy.

    ``transport`` replaces the network transport under the retry layer (tests); the proxy
    setting applies only to the default transport.
    """
    settings = settings or get_settings()
    _install_log_redaction()
    proxy = None if transport is not None else (settings.HTTP_PROXY or None)
    mounts = None
    if proxy:
        # Local servers (the fake OpenAI server, Ollama, vLLM) are never reached via a proxy.
        direct = _retrying(_scheduled(httpx.HTTPTransport()), settings)
        mounts = {f"all://{host}": direct for host in LOOPBACK_HOSTS}
    # With an explicit transport httpx ignores proxy environment variables, which is what
    # we want: HTTP_PROXY from settings is the one source of truth.
    return httpx.Client(
        transport=_retrying(_scheduled(transport or httpx.HTTPTransport(proxy=proxy)), settings),
        mounts=mounts,
        timeout=httpx.Timeout(settings.HTTP_TIMEOUT_S, connect=settings.HTTP_CONNECT_TIMEOUT_S),
        follow_redirects=False,
    )


def _scheduled(inner: httpx.BaseTransport) -> httpx.BaseTransport:
    # issue 18: under the retry layer, so every attempt at a model call (retries too)
    # waits for the shared limiter and tells it what the provider answered.
    from core.llm.scheduler import ScheduledTransport

    return ScheduledTransport(inner)


def _retrying(inner: httpx.BaseTransport, settings: Settings) -> RetryTransport:
    return RetryTransport(
        inner,
        retries=settings.HTTP_RETRIES,
        backoff_base_s=settings.HTTP_BACKOFF_BASE_S,
        backoff_max_s=settings.HTTP_BACKOFF_MAX_S,
    )


_client_lock = threading.Lock()
_client: httpx.Client | None = None
_client_settings: Settings | None = None


def _forget_client_after_fork() -> None:
    # A forked RQ work horse must not reuse the parent's pooled sockets.
    global _client, _client_settings, _client_lock
    _client, _client_settings, _client_lock = None, None, threading.Lock()


os.register_at_fork(after_in_child=_forget_client_after_fork)


def get_http_client() -> httpx.Client:
    """The shared client, rebuilt when the settings object changes (tests reset settings)."""
    global _client, _client_settings
    settings = get_settings()
    with _client_lock:
        if _client is None or _client_settings is not settings:
            if _client is not None:
                _client.close()
            _client = build_http_client(settings)
            _client_settings = settings
        return _client


def close_http_client() -> None:
    global _client, _client_settings
    with _client_lock:
        if _client is not None:
            _client.close()
        _client = None
        _client_settings = None

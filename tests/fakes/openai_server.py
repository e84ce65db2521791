"""A fake OpenAI-compatible HTTP server on 127.0.0.1, for driving the real SDK over HTTP.

    with FakeOpenAIServer() as server:
        server.enqueue(status(429, retry_after=1), ok('{"slides": []}'))
        ...  # OPENAI_BASE_URL=server.base_url

Scripted behaviours are consumed first in, first out, one per POST /v1/chat/completions.
With an empty script the server answers with valid content for the requested schema,
built by the offline provider's builders from the prompt text, so whole courses can run
against it. Run standalone: ``python -m tests.fakes.openai_server --port 0 --latency-ms 200``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from core.llm.pricing import estimate_tokens
from core.llm.providers.offline import build_content
from core.schemas import SCHEMAS
from tests.fakes.prompt_text import variables_from_messages

# ------------------------------------------------------------------ behaviours


@dataclass(frozen=True)
class Behaviour:
    kind: str  # ok | status | delay | malformed | refusal | truncated
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0


def ok(content_text: str | None = None) -> Behaviour:
    """A normal answer; None means "valid content for the requested schema"."""
    return Behaviour("ok", content=content_text)


def status(
    code: int,
    *,
    retry_after: float | str | None = None,
    retry_after_ms: float | None = None,
    body: Any = None,
) -> Behaviour:
    """An HTTP error with an OpenAI-shaped error body unless ``body`` is given."""
    headers = {}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    return Behaviour("status", status=code, headers=headers, body=body)


def delay(seconds: float) -> Behaviour:
    """Answer only after ``seconds`` (to force a client timeout); then a valid answer."""
    return Behaviour("delay", seconds=seconds)


def malformed() -> Behaviour:
    return Behaviour("malformed")


def refusal(text: str = "I'm sorry, but I can't help with that.") -> Behaviour:
    return Behaviour("refusal", content=text)


def truncated() -> Behaviour:
    return Behaviour("truncated")


def _err(message: str, kind: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope: {"error": {"message", "type", "param", "code"}}."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


# The bodies api.openai.com answers with, as quoted in public reports (each cited).
OPENAI_ERRORS: dict[str, tuple[int, dict[str, str], dict[str, Any]]] = {
    # 401: "Incorrect API key provided: sk-...abcd. You can find your API key at ..."
    # (ChatGPTNextWeb/NextChat issues; the key is shown masked).
    "invalid_api_key": (
        401,
        {},
        _err(
            "Incorrect API key provided: sk-te***7890. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
            "invalid_api_key",
        ),
    ),
    # 403 from an unsupported region (platform.openai.com/docs/guides/error-codes).
    "unsupported_country": (
        403,
        {},
        _err(
            "Country, region, or territory not supported",
            "request_forbidden",
            None,
            "unsupported_country_region_territory",
        ),
    ),
    # 404: openai/openai-agents-python#458, rd-1-2022/ai-openai-helloworld#9.
    "model_not_found": (
        404,
        {},
        _err(
            "The model `gpt-9` does not exist or you do not have access to it.",
            "invalid_request_error",
            None,
            "model_not_found",
        ),
    ),
    # 400: crewAIInc/crewAI-examples#121, chathub-dev/chathub#126.
    "context_length_exceeded": (
        400,
        {},
        _err(
            "This model's maximum context length is 1047576 tokens. However, your messages "
            "resulted in 1050000 tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            "messages",
            "context_length_exceeded",
        ),
    ),
    # 429 rate limit: FoundationAgents/MetaGPT#523, BuilderIO/micro-agent#86; OpenAI sends
    # the x-ratelimit-* headers (platform.openai.com/docs/guides/rate-limits).
    "rate_limit_exceeded": (
        429,
        {
            "x-ratelimit-limit-tokens": "200000",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": "1s",
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "499",
            "x-ratelimit-reset-requests": "120ms",
        },
        _err(
            "Rate limit reached for gpt-4.1-mini in organization org-fake on tokens per min (TPM): "
            "Limit 200000, Used 199000, Requested 3082. Please try again in 1s. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            "tokens",
            None,
            "rate_limit_exceeded",
        ),
    ),
    # 429 quota: ChatGPTNextWeb/NextChat#3123 and #4101 (waiting does not help).
    "insufficient_quota": (
        429,
        {},
        _err(
            "You exceeded your current quota, please check your plan and billing details. For "
            "more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota",
            None,
            "insufficient_quota",
        ),
    ),
    # 500 and 503 (platform.openai.com/docs/guides/error-codes).
    "server_error": (
        500,
        {},
        _err(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
            None,
        ),
    ),
    "overloaded": (
        503,
        {},
        _err("The engine is currently overloaded, please try again later.", "server_error", None, None),
    ),
}
_DEFAULT_FOR_STATUS = {
    401: "invalid_api_key",
    403: "unsupported_country",
    404: "model_not_found",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "overloaded",
}


def _error_body(code: int) -> dict[str, Any]:
    name = _DEFAULT_FOR_STATUS.get(code)
    if name:
        return OPENAI_ERRORS[name][2]
    if code == 400:
        return _err("Invalid request.", "invalid_request_error")
    return _err(f"HTTP {code}", "server_error" if code >= 500 else "invalid_request_error")


def openai_error(name: str) -> Behaviour:
    """One of OpenAI's real error answers by name (see OPENAI_ERRORS)."""
    status_code, headers, body = OPENAI_ERRORS[name]
    return Behaviour("status", status=status_code, headers=dict(headers), body=body)


# ------------------------------------------------------------------ request rules
# What api.openai.com checks before it answers a chat completion, each with its source.

# Strict-mode schema keywords OpenAI documents as supported
# (platform.openai.com/docs/guides/structured-outputs#supported-schemas). Written out here
# on purpose rather than imported from core: the fake must not share the code it tests.
STRICT_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "anyOf", "description", "title", "$defs", "$ref", "pattern", "format", "multipleOf",
        "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "minItems", "maxItems",
    }
)  # fmt: skip
# Roles the Chat Completions API accepts (its 400 names them: "Supported values are:
# 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.").
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
# Context window and max output per model family (platform.openai.com/docs/models).
MODEL_LIMITS: dict[str, tuple[int, int]] = {
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-4.1-mini": (1_047_576, 32_768),
    "gpt-4.1-nano": (1_047_576, 32_768),
    "gpt-4o": (128_000, 16_384),
    "gpt-4o-mini": (128_000, 16_384),
    "gpt-5": (400_000, 128_000),
    "gpt-5-mini": (400_000, 128_000),
    "gpt-5-nano": (400_000, 128_000),
    "o4-mini": (200_000, 100_000),
    "o3": (200_000, 100_000),
}
_REASONING = re.compile(r"^(o\d|gpt-5)")


class RequestRefused(Exception):
    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status_code = status_code
        self.body = body


def _bad(message: str, param: str | None, code: str | None = None) -> RequestRefused:
    return RequestRefused(400, _err(message, "invalid_request_error", param, code))


def strict_schema_problem(schema: Any, path: tuple[str, ...] = ()) -> str | None:
    """The first strict-mode violation, worded as OpenAI words it (In context=(...), ...):
    'default' is not permitted (instructor#1074, outlines#1254), 'additionalProperties' is
    required to be supplied and to be false (outlines#844, xsai#202), 'required' is required
    to be supplied and to be an array including every key in properties (vercel/ai#6484)."""
    if isinstance(schema, list):
        for item in schema:
            if found := strict_schema_problem(item, path):
                return found
        return None
    if not isinstance(schema, dict):
        return None
    context = "(" + ", ".join(repr(p) for p in path) + ("," if len(path) == 1 else "") + ")"
    for key in schema:
        if key not in STRICT_KEYWORDS:
            return f"In context={context}, '{key}' is not permitted."
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        for name in schema.get("properties") or {}:
            if name not in required:
                return (
                    f"In context={context}, 'required' is required to be supplied and to be an array "
                    f"including every key in properties. Missing '{name}'."
                )
        for name, sub in (schema.get("properties") or {}).items():
            if found := strict_schema_problem(sub, (*path, "properties", name)):
                return found
    for key in ("items", "anyOf"):
        if key in schema and (found := strict_schema_problem(schema[key], (*path, key))):
            return found
    for name, sub in (schema.get("$defs") or {}).items():
        if found := strict_schema_problem(sub, (*path, "$defs", name)):
            return found
    return None


# ------------------------------------------------------------------ rate limits (issue 18)
#
# OpenAI meters requests and tokens per model and reports them on every answer
# (platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers):
#   x-ratelimit-limit-requests / -tokens      the maximum permitted before exhausting the limit
#   x-ratelimit-remaining-requests / -tokens  the remaining number permitted
#   x-ratelimit-reset-requests / -tokens      "the time until the rate limit resets to its
#                                             initial state", written like 1s, 6m0s, 12ms
# A request past a limit gets 429 with code rate_limit_exceeded, type "requests" or
# "tokens", a message "Rate limit reached for <model> in organization <org> on requests per
# min (RPM): Limit L, Used U, Requested R. Please try again in <duration>. Visit ...",
# and a Retry-After header (openai/openai-dotnet#404 shows the body and a client waiting
# on Retry-After; open-webui#3743 shows the headers). A request counts against the token
# limit by its prompt plus its max_tokens before it runs (rate-limits guide, "tokens").
# Here the window is fixed: it starts at the first request and resets entirely at its end,
# which is what "resets to its initial state" describes for a plain quota.


def openai_duration(seconds: float) -> str:
    """6m0s, 1s, 1.5s, 120ms: the form OpenAI's reset headers use."""
    if seconds < 1:
        return f"{max(1, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text


def _request_tokens(body: dict[str, Any], prompt_tokens: Any) -> int:
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    return int(prompt_tokens(body.get("messages") or [])) + (limit if isinstance(limit, int) else 0)


class RateLimits:
    """Requests and tokens per window, per model; called under the server's lock."""

    DEFAULT = (10_000, 60.0)  # what a well-paid tier allows: headers are always sent
    DEFAULT_TOKENS = 30_000_000

    def __init__(self, requests: tuple[int, float] | None, tokens: int | None, *, send_headers: bool) -> None:
        self.requests, self.window_s = requests or self.DEFAULT
        self.tokens = tokens or self.DEFAULT_TOKENS
        self.send_headers = send_headers
        self._windows: dict[str, list[float]] = {}  # model -> [start, requests, tokens]
        self._last: dict[str, str] = {}
        self.admitted: list[float] = []
        self.history: dict[str, list[list[float]]] = {}  # model -> every window, oldest first

    def _window(self, model: str, now: float) -> list[float]:
        window = self._windows.get(model)
        if window is None or now >= window[0] + self.window_s:
            window = self._windows[model] = [now, 0, 0]
            self.history.setdefault(model, []).append(window)
        return window

    def take(self, model: str, tokens: int) -> tuple[tuple[int, dict[str, str], Any] | None, dict[str, str]]:
        """(a 429 answer or None, the rate-limit headers for the answer)."""
        now = time.monotonic()
        window = self._window(model, now)
        over_requests = window[1] + 1 > self.requests
        over_tokens = window[2] + tokens > self.tokens
        if over_requests or over_tokens:
            wait = window[0] + self.window_s - now
            kind, limit, used, asked = (
                ("requests", self.requests, int(window[1]), 1)
                if over_requests
                else ("tokens", self.tokens, int(window[2]), tokens)
            )
            unit = "requests per min (RPM)" if kind == "requests" else "tokens per min (TPM)"
            body = _err(
                f"Rate limit reached for {model} in organization org-fake on {unit}: Limit {limit}, "
                f"Used {used}, Requested {asked}. Please try again in {openai_duration(wait)}. Visit "
                "https://platform.openai.com/account/rate-limits to learn more.",
                kind,
                None,
                "rate_limit_exceeded",
            )
            headers = self._headers(window, now) if self.send_headers else {}
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            return (429, headers, body), {}
        window[1] += 1
        window[2] += tokens
        self.admitted.append(now)
        return None, (self._headers(window, now) if self.send_headers else {})

    def _headers(self, window: list[float], now: float) -> dict[str, str]:
        reset = openai_duration(max(0.0, window[0] + self.window_s - now))
        return {
            "x-ratelimit-limit-requests": str(self.requests),
            "x-ratelimit-limit-tokens": str(self.tokens),
            "x-ratelimit-remaining-requests": str(max(0, self.requests - int(window[1]))),
            "x-ratelimit-remaining-tokens": str(max(0, self.tokens - int(window[2]))),
            "x-ratelimit-reset-requests": reset,
            "x-ratelimit-reset-tokens": reset,
        }


# ------------------------------------------------------------------ the server


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() when the request arrived


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of 30 connections would meet
    # refused connections that api.openai.com never gives (issue 18's bursts do this).
    request_queue_size = 128


class FakeOpenAIServer:
    """Context manager; ``base_url`` ends in /v1."""

    def __init__(
        self,
        latency_ms: int = 0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: dict[str, tuple[int, int]] | None = None,
        pad_seed: int | None = None,
        rate_limit: tuple[int, float] | None = None,
        token_limit: int | None = None,
        rate_headers: bool = True,
        max_in_flight: int | None = None,
    ) -> None:
        self.latency_s = latency_ms / 1000
        # model -> (context window, max output tokens); anything else answers 404.
        self.models = dict(models or MODEL_LIMITS)
        # With a seed, answers are padded with a random amount of JSON whitespace (up to the
        # request's max output tokens), so answer sizes vary as a real model's do.
        self._pad = random.Random(pad_seed) if pad_seed is not None else None
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque()
        self._calls: list[RecordedRequest] = []
        self._seen_prefixes: set[str] = set()
        # issue 18: the provider's limits (see RateLimits); max_in_flight answers 429 without
        # any header past that many concurrent calls, as a proxy in front of vLLM would.
        self.limits = RateLimits(rate_limit, token_limit, send_headers=rate_headers)
        self.max_in_flight = max_in_flight
        self._in_flight = 0
        self.peak_in_flight = 0
        self.throttled = 0  # 429s sent because a limit was reached
        self._stop = threading.Event()
        self._httpd = _Server((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()  # wakes handlers sleeping in delay()/latency
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- script and records

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def calls(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._calls)

    @property
    def requests(self) -> list[Any]:
        """JSON bodies of the chat completion requests, in arrival order."""
        return [c.body for c in self.calls if urlsplit(c.path).path.endswith("/chat/completions")]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return self.requests
            self._stop.wait(0.01)
        raise TimeoutError(f"expected {count} requests, got {len(self.requests)}")

    # -- request handling (called from handler threads)

    def _record(self, call: RecordedRequest, *, take: bool = True) -> Behaviour | None:
        with self._lock:
            self._calls.append(call)
            return self._script.popleft() if self._script and take else None

    def _admit(self, body: dict[str, Any]) -> tuple[tuple[int, dict[str, str], Any] | None, dict[str, str]]:
        """Count a valid request against the limits: (a 429 answer when past one, the
        rate-limit headers for the answer)."""
        model = str(body.get("model"))
        with self._lock:
            if self.max_in_flight is not None and self._in_flight >= self.max_in_flight:
                self.throttled += 1
                # A bare 429, no rate-limit headers and no Retry-After: AIMD's case.
                refusal = _err("Too many concurrent requests", "requests", None, "rate_limit_exceeded")
                return (429, {}, refusal), {}
            refused, headers = self.limits.take(model, _request_tokens(body, self._prompt_tokens))
            if refused is not None:
                self.throttled += 1
                return refused, {}
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        return None, headers

    def stats(self) -> dict[str, Any]:
        """Counters for benches: 429s sent, requests admitted per window of each model."""
        with self._lock:
            return {
                "throttled": self.throttled,
                "peak_in_flight": self.peak_in_flight,
                "limit": [self.limits.requests, self.limits.window_s],
                "windows": {m: [int(w[1]) for w in ws] for m, ws in self.limits.history.items()},
            }

    @property
    def admitted_at(self) -> list[float]:
        """time.monotonic() of every request let through the limits."""
        with self._lock:
            return list(self.limits.admitted)

    def check(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        """Refuse what api.openai.com refuses, with its status and body (RequestRefused)."""
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise RequestRefused(
                401,
                _err(
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    "invalid_request_error",
                ),
            )
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _bad("you must provide a model parameter", None)
        if model not in self.models:
            raise RequestRefused(
                404,
                _err(
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "invalid_request_error",
                    None,
                    "model_not_found",
                ),
            )
        context, max_output = self.models[model]
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _bad("[] is too short - 'messages'", "messages", "empty_array")
        for i, message in enumerate(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role not in ROLES:
                raise _bad(
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
                    "'function', 'tool', and 'developer'.",
                    f"messages[{i}].role",
                    "invalid_value",
                )
            if not isinstance(message.get("content"), str | list) and role != "assistant":
                raise _bad(f"Missing required parameter: 'messages[{i}].content'.", f"messages[{i}].content",
                           "missing_required_parameter")  # fmt: skip
        reasoning = bool(_REASONING.match(model))
        if reasoning and "max_tokens" in body:
            # "Unsupported parameter: 'max_tokens' is not supported with this model. Use
            # 'max_completion_tokens' instead." (openai/openai-python#2072 and many others)
            raise _bad(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' instead.",
                "max_tokens",
                "unsupported_parameter",
            )
        if reasoning and body.get("temperature") not in (None, 1, 1.0):
            raise _bad(
                f"Unsupported value: 'temperature' does not support {body['temperature']} with this model. "
                "Only the default (1) value is supported.",
                "temperature",
                "unsupported_value",
            )
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise _bad(f"Invalid '{name}': integer below minimum value. Expected a value >= 1, "
                           f"but got {limit} instead.", name, "integer_below_min_value")  # fmt: skip
            if limit > max_output:
                raise _bad(
                    f"max_tokens is too large: {limit}. This model supports at most {max_output} "
                    f"completion tokens, whereas you provided {limit}.",
                    "max_tokens",
                    "invalid_value",
                )
        self._check_response_format(body.get("response_format"), messages)
        prompt = self._prompt_tokens(messages)
        if prompt + (limit or 0) > context:
            raise _bad(
                f"This model's maximum context length is {context} tokens. However, you requested "
                f"{prompt + (limit or 0)} tokens ({prompt} in the messages, {limit or 0} in the "
                "completion). Please reduce the length of the messages or completion.",
                "messages",
                "context_length_exceeded",
            )

    @staticmethod
    def _check_response_format(fmt: Any, messages: list[dict[str, Any]]) -> None:
        if fmt is None:
            return
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind not in ("text", "json_object", "json_schema"):
            raise _bad(
                f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
                "response_format.type",
                "invalid_value",
            )
        # JSON mode: "'messages' must contain the word 'json' in some form, to use
        # 'response_format' of type 'json_object'." (platform docs, JSON mode)
        if kind == "json_object" and not any("json" in str(m.get("content") or "").lower() for m in messages):
            raise _bad(
                "'messages' must contain the word 'json' in some form, to use 'response_format' "
                "of type 'json_object'.",
                "messages",
            )
        if kind != "json_schema":
            return
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict):
            raise _bad("Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema",
                       "missing_required_parameter")  # fmt: skip
        name = spec.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
            raise _bad(
                "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a "
                "string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                "response_format.json_schema.name",
                "invalid_value",
            )
        schema = spec.get("schema")
        if spec.get("strict") is True:
            problem = strict_schema_problem(schema)
            if problem:
                raise _bad(f"Invalid schema for response_format '{name}': {problem}", "response_format")

    @staticmethod
    def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
        return sum(estimate_tokens(str(m.get("content") or "")) + 4 for m in messages) + 3

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    def _usage(self, messages: list[dict[str, Any]], text: str) -> dict[str, Any]:
        prompt = self._prompt_tokens(messages)
        # Real caching covers a repeated prompt prefix: count the system prompt as cached
        # once this server has seen it.
        system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
        with self._lock:
            cached = estimate_tokens(system) if system in self._seen_prefixes else 0
            self._seen_prefixes.add(system)
        completion = estimate_tokens(text)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": min(cached, prompt), "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }

    def answer(self, body: dict[str, Any], behaviour: Behaviour | None) -> tuple[int, dict[str, str], Any]:
        """Status, headers and JSON body for one chat completion request."""
        kind = behaviour.kind if behaviour else "ok"
        if behaviour and kind == "status":
            return behaviour.status, behaviour.headers, behaviour.body or _error_body(behaviour.status)
        if behaviour and kind == "delay":
            self._sleep(behaviour.seconds)
        text, finish, refused = self._content(body, behaviour)
        text, finish = self._fit(body, text, finish)
        messages = body.get("messages") or []
        model = str(body.get("model") or "gpt-4.1-mini")
        return (
            200,
            {},
            {
                "id": f"chatcmpl-fake{len(self._calls)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": _dated(model),
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": text,
                            "refusal": refused,
                            "annotations": [],
                        },
                        "finish_reason": finish,
                        "logprobs": None,
                    }
                ],
                "usage": self._usage(messages, text or refused or ""),
            },
        )

    def _content(
        self, body: dict[str, Any], behaviour: Behaviour | None
    ) -> tuple[str | None, str, str | None]:
        kind = behaviour.kind if behaviour else "ok"
        if kind == "refusal":
            return None, "stop", behaviour.content if behaviour else ""
        if kind == "ok" and behaviour and behaviour.content is not None:
            return behaviour.content, "stop", None
        text = valid_content(body)
        if kind == "malformed":
            return "Sure! Here is the JSON you asked for:\n{title: " + text[:60], "stop", None
        if kind == "truncated":
            return text[: max(20, len(text) // 2)], "length", None
        return text, "stop", None

    def _fit(self, body: dict[str, Any], text: str | None, finish: str) -> tuple[str | None, str]:
        """Pad (bench) and cut at the request's output limit, as a real model stops there."""
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if text is None or not isinstance(limit, int):
            return text, finish
        if self._pad is not None:
            with self._lock:
                room = max(0, limit - estimate_tokens(text))
                text = text + " " * self._pad.randint(0, room * 4)
        if estimate_tokens(text) <= limit:
            return text, finish
        cut = text[: max(1, limit * 4)]
        while estimate_tokens(cut) > limit and len(cut) > 1:
            cut = cut[: int(len(cut) * 0.9)]
        return cut, "length"


def _dated(model: str) -> str:
    """Real answers name a dated snapshot of the requested model."""
    return f"{model}-2025-04-14" if re.fullmatch(r"gpt-4\.1(-mini|-nano)?", model) else model


def valid_content(body: dict[str, Any]) -> str:
    """Valid JSON for the schema named in response_format (or, in JSON mode and without a
    response_format, in the prompt), built from the prompt text."""
    response_format = body.get("response_format") or {}
    name = str((response_format.get("json_schema") or {}).get("name") or "")
    if not name:
        for message in body.get("messages") or []:
            if found := re.search(r"JSON schema named (\w+):", str(message.get("content") or "")):
                name = found.group(1)
    schema = SCHEMAS.get(name)
    if schema is None:
        return json.dumps({"answer": "ok"})
    messages = body.get("messages") or []
    variables = variables_from_messages(name, messages)
    content = build_content(schema, variables)
    if name == "OutlineModule":
        _fit_module(content, messages)
    return json.dumps(content, ensure_ascii=False)


def _fit_module(content: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """The module prompt asks for "exactly N lessons" adding up to M minutes (the offline
    builders do not read those from the text): answer as a model following it would."""
    text = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    count = re.search(r"exactly (\d+) lessons", text)
    total = re.search(r"add up to (\d+)", text)
    lessons = content.get("lessons") or []
    if count and lessons:
        n = int(count.group(1))
        lessons = (lessons * n)[:n]
        content["lessons"] = [dict(lesson) for lesson in lessons]
    if total and content.get("lessons"):
        m, n = int(total.group(1)), len(content["lessons"])
        for i, lesson in enumerate(content["lessons"]):
            lesson["duration_minutes"] = m // n + (1 if i < m % n else 0)


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, Nagle plus the
        # client's delayed ACK adds ~40 ms to every call.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            server._record(RecordedRequest("GET", self.path, dict(self.headers), None, time.monotonic()))
            routed = batch_route(server, "GET", self.path, dict(self.headers), b"")  # issue 18
            if routed is not None:
                self._send_routed(routed)
                return
            if urlsplit(self.path).path == "/_fake/stats":  # for benches in another process
                self._send(200, {}, server.stats())
                return
            if urlsplit(self.path).path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in server.models]
                self._send(200, {}, {"object": "list", "data": data})
            else:
                self._send(404, {}, _error_body(404))

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = None
            call = RecordedRequest("POST", self.path, dict(self.headers), body, time.monotonic())
            routed = batch_route(server, "POST", self.path, dict(self.headers), raw)  # issue 18
            if routed is not None:
                server._record(RecordedRequest("POST", self.path, dict(self.headers), None, time.monotonic()),
                               take=False)  # fmt: skip
                self._send_routed(routed)
                return
            if urlsplit(self.path).path.rstrip("/").endswith("/moderations"):  # issue 9
                self._send(*moderation_answer(server, call))
                return
            if not urlsplit(self.path).path.rstrip("/").endswith("/chat/completions"):
                server._record(call)
                self._send(404, {}, _error_body(404))
                return
            if not isinstance(body, dict):
                server._record(call, take=False)
                self._send(400, {}, _err("We could not parse the JSON body of your request.",
                                         "invalid_request_error"))  # fmt: skip
                return
            try:
                server.check(body, dict(self.headers))
            except RequestRefused as refused:
                # An invalid request is refused before any scripted behaviour is used up.
                server._record(call, take=False)
                self._send(refused.status_code, {}, refused.body)
                return
            limited, limit_headers = server._admit(body)
            if limited is not None:
                server._record(call, take=False)
                self._send(*limited)
                return
            try:
                behaviour = server._record(call)
                server._sleep(server.latency_s)
                code, headers, payload = server.answer(body, behaviour)
            finally:
                with server._lock:
                    server._in_flight -= 1
            self._send(code, {**limit_headers, **headers}, payload)

        def _send_routed(self, routed: Any) -> None:
            if len(routed) == 3:
                self._send(*routed)
                return
            code, data = routed  # a file's raw content
            self.send_response(code)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send(self, code: int, headers: dict[str, str], payload: Any) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("x-request-id", f"req_fake_{time.monotonic_ns()}")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to answer

    return Handler


# ------------------------------------------------------------------ moderations (issue 9)
#
# POST /v1/moderations, kept apart from chat completions: its own script and its own
# record, so chat tests that count calls are not disturbed. Request rules and the answer
# body follow OpenAI's API reference for "Create moderation" as mirrored by the official
# SDK types (openai-python src/openai/types/moderation_create_params.py, moderation.py,
# moderation_create_response.py; PR openai/openai-python#1750 "add omni-moderation model"):
#   - input (required): a string, an array of strings, or an array of multi-modal parts
#     {"type": "text", "text": str} / {"type": "image_url", "image_url": {"url": str}};
#   - model (optional): defaults to omni-moderation-latest; the retired text-moderation
#     models now answer 400 {"message": "please request omni-moderation-latest",
#     "param": "model"} (seen in langgenius/dify#28117);
#   - unknown fields: 400 "Unrecognized request argument supplied: <name>" (OpenAI's
#     answer to any unknown body field); a missing key: 401 as for every endpoint.
#   - answer: {"id": "modr-...", "model", "results": [one per input: flagged, categories,
#     category_scores, category_applied_input_types over the 13 omni categories]}.

MODERATION_MODELS = ("omni-moderation-latest", "omni-moderation-2024-09-26")
MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# Deterministic stand-in for the classifier: phrases that flag a category.
MODERATION_TRIGGERS = {
    "violence": re.compile(r"\bI will kill (you|them)\b|\bубью\b", re.I),
    "harassment": re.compile(r"\byou (stupid )?idiot\b|\bтупица\b", re.I),
}


def flagged(category: str = "violence") -> Behaviour:
    """A scripted moderation answer that flags every input under ``category``."""
    return Behaviour("flag", content=category)


def _moderation(server: FakeOpenAIServer) -> dict[str, Any]:
    with server._lock:
        return server.__dict__.setdefault("_moderation_state", {"script": deque(), "calls": []})


def enqueue_moderation(server: FakeOpenAIServer, *behaviours: Behaviour) -> None:
    """Script moderation answers (status(), delay(), flagged()), first in, first out."""
    state = _moderation(server)
    with server._lock:
        state["script"].extend(behaviours)


def moderation_calls(server: FakeOpenAIServer) -> list[RecordedRequest]:
    state = _moderation(server)
    with server._lock:
        return list(state["calls"])


def _invalid(message: str, param: str | None, code: str | None = None) -> tuple[int, dict[str, str], Any]:
    return (
        400,
        {},
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}},
    )


def _moderation_texts(value: Any) -> list[str] | None:
    """The texts of a valid input, or None when the input breaks the documented shapes."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(v, str) for v in value):
        return list(value)
    texts = []
    for part in value:
        if not isinstance(part, dict):
            return None
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif part.get("type") == "image_url" and isinstance((part.get("image_url") or {}).get("url"), str):
            texts.append("")
        else:
            return None
    return texts


def _moderation_result(text: str, forced: str | None) -> dict[str, Any]:
    hits = {name for name, rx in MODERATION_TRIGGERS.items() if rx.search(text)}
    if forced:
        hits.add(forced)
    return {
        "flagged": bool(hits),
        "categories": {c: c in hits for c in MODERATION_CATEGORIES},
        "category_scores": {c: 0.91 if c in hits else 0.0001 for c in MODERATION_CATEGORIES},
        "category_applied_input_types": {c: ["text"] for c in MODERATION_CATEGORIES},
    }


def moderation_answer(server: FakeOpenAIServer, call: RecordedRequest) -> tuple[int, dict[str, str], Any]:
    state = _moderation(server)
    with server._lock:
        state["calls"].append(call)
        behaviour = state["script"].popleft() if state["script"] else None
    server._sleep(server.latency_s)
    if behaviour and behaviour.kind == "status":
        return behaviour.status, behaviour.headers, behaviour.body or _error_body(behaviour.status)
    if behaviour and behaviour.kind == "delay":
        server._sleep(behaviour.seconds)
    auth = {k.lower(): v for k, v in call.headers.items()}.get("authorization", "")
    if not auth.startswith("Bearer ") or not auth[7:].strip():
        return (
            401,
            {},
            {
                "error": {
                    "message": "You didn't provide an API key.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            },
        )
    body = call.body
    if not isinstance(body, dict):
        return _invalid("We could not parse the JSON body of your request.", None)
    unknown = sorted(set(body) - {"input", "model"})
    if unknown:
        return _invalid(f"Unrecognized request argument supplied: {unknown[0]}", None)
    if "input" not in body:
        return _invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    model = body.get("model") or "omni-moderation-latest"
    if model not in MODERATION_MODELS:
        return _invalid("please request omni-moderation-latest", "model")
    texts = _moderation_texts(body["input"])
    if texts is None:
        return _invalid("Invalid type for 'input': expected a string, an array of strings, or an array of "
                        "text and image_url objects.", "input", "invalid_type")  # fmt: skip
    forced = behaviour.content if behaviour and behaviour.kind == "flag" else None
    return (
        200,
        {},
        {
            "id": f"modr-fake{time.monotonic_ns()}",
            "model": model,
            "results": [_moderation_result(t, forced) for t in texts],
        },
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--rate-limit", default=None, help="REQUESTS/SECONDS per model, e.g. 60/10")
    args = parser.parse_args(argv)
    limit = None
    if args.rate_limit:
        count, seconds = args.rate_limit.split("/")
        limit = (int(count), float(seconds))
    with FakeOpenAIServer(latency_ms=args.latency_ms, port=args.port, rate_limit=limit) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


# ------------------------------------------------------------------ files and batches (issue 18)
#
# POST /v1/files, GET /v1/files/{id}/content, POST /v1/batches, GET /v1/batches/{id}, as
# the API reference for files and batches and the Batch guide (platform.openai.com/docs/
# guides/batch) document them:
#   - files: multipart/form-data with "file" and "purpose"; purpose is one of assistants,
#     batch, fine-tune, vision, user_data, evals (else 400 invalid_value on "purpose");
#     the answer is a file object {"id": "file-...", "object": "file", "bytes",
#     "created_at", "filename", "purpose"};
#   - batches: {"input_file_id", "endpoint", "completion_window", "metadata"?};
#     endpoint one of /v1/responses, /v1/chat/completions, /v1/embeddings,
#     /v1/completions; completion_window only "24h"; the input file must exist and have
#     purpose "batch"; unknown fields are refused like every endpoint's;
#   - validation of the file (the batch then goes "failed" with errors.data of
#     {"code", "message", "param", "line"}): every line JSON with a unique custom_id,
#     method "POST", url equal to the batch's endpoint, a body; one model per file
#     (morphllm's OpenAI-compatible docs state it as "Every line in a batch must name the
#     same model"); at most 50,000 lines;
#   - each line's body is then checked as the live endpoint checks it: a refused body
#     lands in the error file with its status and error body; answers land in the output
#     file as {"id": "batch_req_...", "custom_id", "response": {"status_code",
#     "request_id", "body"}, "error": null}; request_counts {total, completed, failed}.
# The fake runs a batch in ``batch_delay_s`` (validating, then in_progress, then done).

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
BATCH_ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions")


def _batches(server: FakeOpenAIServer) -> dict[str, Any]:
    with server._lock:
        return server.__dict__.setdefault("_batch_state", {"files": {}, "batches": {}, "delay_s": 0.5})


def set_batch_delay(server: FakeOpenAIServer, seconds: float) -> None:
    _batches(server)["delay_s"] = seconds


def _upload(server: FakeOpenAIServer, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], Any]:
    import email.parser
    import email.policy

    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return _invalid("Invalid Content-Type header, expected multipart/form-data.", None)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    if "file" not in fields:
        return _invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter")
    purpose = fields.get("purpose", (None, b""))[1].decode()
    if purpose not in FILE_PURPOSES:
        return _invalid(
            f"Invalid value: '{purpose}'. Supported values are: {', '.join(repr(p) for p in FILE_PURPOSES)}.",
            "purpose",
            "invalid_value",
        )
    state = _batches(server)
    file_id = f"file-fake{time.monotonic_ns()}"
    name, data = fields["file"]
    entry = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
             "filename": name or "upload", "purpose": purpose}  # fmt: skip
    with server._lock:
        state["files"][file_id] = {**entry, "data": data}
    return 200, {}, entry


def _file_content(server: FakeOpenAIServer, file_id: str) -> tuple[int, bytes] | None:
    state = _batches(server)
    with server._lock:
        entry = state["files"].get(file_id)
    return (200, entry["data"]) if entry else None


def _create_batch(server: FakeOpenAIServer, body: Any) -> tuple[int, dict[str, str], Any]:
    if not isinstance(body, dict):
        return _invalid("We could not parse the JSON body of your request.", None)
    unknown = sorted(set(body) - {"input_file_id", "endpoint", "completion_window", "metadata",
                                  "output_expires_after"})  # fmt: skip
    if unknown:
        return _invalid(f"Unrecognized request argument supplied: {unknown[0]}", None)
    for name in ("input_file_id", "endpoint", "completion_window"):
        if not body.get(name):
            return _invalid(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    if body["endpoint"] not in BATCH_ENDPOINTS:
        return _invalid(
            f"Invalid value: '{body['endpoint']}'. Supported values are: "
            + ", ".join(repr(e) for e in BATCH_ENDPOINTS) + ".",
            "endpoint",
            "invalid_value",
        )  # fmt: skip
    if body["completion_window"] != "24h":
        return _invalid(
            f"Invalid value: '{body['completion_window']}'. Supported values are: '24h'.",
            "completion_window",
            "invalid_value",
        )
    state = _batches(server)
    with server._lock:
        source = state["files"].get(body["input_file_id"])
    if source is None:
        return 404, {}, _err(f"No such File object: {body['input_file_id']}", "invalid_request_error",
                             "input_file_id")  # fmt: skip
    if source["purpose"] != "batch":
        return _invalid("The input file must be uploaded with purpose 'batch'.", "input_file_id")
    now = int(time.time())
    batch = {
        "id": f"batch_fake{time.monotonic_ns()}",
        "object": "batch",
        "endpoint": body["endpoint"],
        "errors": None,
        "input_file_id": source["id"],
        "completion_window": "24h",
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + 86400,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
    }
    with server._lock:
        state["batches"][batch["id"]] = {"batch": batch, "started": time.monotonic()}
    return 200, {}, dict(batch)


def _line_problem(
    n: int, line: str, endpoint: str, seen: set[str], models: set[str]
) -> dict[str, Any] | None:
    def problem(code: str, message: str, param: str | None = None) -> dict[str, Any]:
        return {"code": code, "message": message, "param": param, "line": n}

    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return problem("invalid_json_line", "This line is not parseable as valid JSON.")
    if not isinstance(item, dict) or not isinstance(item.get("custom_id"), str):
        return problem("missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id")
    if item["custom_id"] in seen:
        return problem("duplicate_custom_id", "The custom_id for this request is a duplicate of another request. "
                       "The custom_id parameter must be unique for each request in a batch.", "custom_id")  # fmt: skip
    seen.add(item["custom_id"])
    if item.get("method") != "POST":
        return problem("invalid_method", "Only the POST method is supported.", "method")
    if item.get("url") != endpoint:
        return problem("mismatched_endpoint", f"The URL provided for this request does not match the batch "
                       f"endpoint ({endpoint}).", "url")  # fmt: skip
    if not isinstance(item.get("body"), dict):
        return problem("missing_required_parameter", "Missing required parameter: 'body'.", "body")
    models.add(str(item["body"].get("model")))
    if len(models) > 1:
        return problem("mismatched_model", "The provided model does not match the model of other requests "
                       "in this batch; a batch must use one model.", "body.model")  # fmt: skip
    return None


def _run_batch(server: FakeOpenAIServer, entry: dict[str, Any]) -> None:
    """Validate the input file and answer every line (called once the delay has passed)."""
    batch = entry["batch"]
    state = _batches(server)
    with server._lock:
        data = state["files"][batch["input_file_id"]]["data"]
    lines = [line for line in data.decode().splitlines() if line.strip()]
    now = int(time.time())
    seen: set[str] = set()
    models: set[str] = set()
    problems = [
        p for n, line in enumerate(lines, 1) if (p := _line_problem(n, line, batch["endpoint"], seen, models))
    ]
    if len(lines) > 50_000:
        problems.append({"code": "too_many_requests", "message": "A batch holds at most 50000 requests.",
                         "param": None, "line": None})  # fmt: skip
    if problems:
        batch.update(status="failed", failed_at=now, errors={"object": "list", "data": problems[:20]})
        return
    out, err = [], []
    for line in lines:
        item = json.loads(line)
        request_id = f"req_fake{time.monotonic_ns()}"
        try:
            server.check(item["body"], {"Authorization": "Bearer batch"})
            code, _, body = server.answer(item["body"], None)
        except RequestRefused as refused:
            code, body = refused.status_code, refused.body
        record = {"id": f"batch_req_{time.monotonic_ns()}", "custom_id": item["custom_id"],
                  "response": {"status_code": code, "request_id": request_id, "body": body}, "error": None}  # fmt: skip
        (out if code < 400 else err).append(json.dumps(record))
    for name, rows in (("output_file_id", out), ("error_file_id", err)):
        if rows:
            file_id = f"file-fake{time.monotonic_ns()}"
            with server._lock:
                state["files"][file_id] = {"id": file_id, "object": "file", "purpose": "batch_output",
                                           "data": ("\n".join(rows) + "\n").encode()}  # fmt: skip
            batch[name] = file_id
    batch.update(
        status="completed",
        in_progress_at=batch["in_progress_at"] or now,
        finalizing_at=now,
        completed_at=now,
        request_counts={"total": len(lines), "completed": len(out), "failed": len(err)},
    )


def _get_batch(server: FakeOpenAIServer, batch_id: str) -> tuple[int, dict[str, str], Any]:
    state = _batches(server)
    with server._lock:
        entry = state["batches"].get(batch_id)
    if entry is None:
        return 404, {}, _err(f"No batch found with id '{batch_id}'.", "invalid_request_error", None)
    elapsed = time.monotonic() - entry["started"]
    batch = entry["batch"]
    if batch["status"] == "validating" and elapsed >= state["delay_s"] / 2:
        batch.update(status="in_progress", in_progress_at=int(time.time()))
    if batch["status"] == "in_progress" and elapsed >= state["delay_s"]:
        _run_batch(server, entry)
    return 200, {}, dict(batch)


def batch_route(server: FakeOpenAIServer, method: str, path: str, headers: dict[str, str], raw: bytes):  # type: ignore[no-untyped-def]
    """(status, headers, JSON body) or (status, raw bytes) for files/batches paths; None otherwise."""
    parts = urlsplit(path).path.rstrip("/").split("/")
    if method == "POST" and parts[-2:] == ["v1", "files"]:
        return _upload(server, headers, raw)
    if method == "GET" and len(parts) >= 4 and parts[-3] == "files" and parts[-1] == "content":
        found = _file_content(server, parts[-2])
        return found or (404, {}, _err(f"No such File object: {parts[-2]}", "invalid_request_error", "id"))
    if method == "POST" and parts[-2:] == ["v1", "batches"]:
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = None
        return _create_batch(server, body)
    if method == "GET" and len(parts) >= 3 and parts[-2] == "batches":
        return _get_batch(server, parts[-1])
    return None


if __name__ == "__main__":
    main()

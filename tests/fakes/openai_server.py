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
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from core.llm.pricing import estimate_tokens
from core.llm.providers.offline import build_content, variables_from_messages
from core.schemas import SCHEMAS

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


_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def _error_body(code: int) -> dict[str, Any]:
    kind, err_code = _ERROR_TYPES.get(code, ("server_error", None))
    return {"error": {"message": f"fake server error {code}", "type": kind, "param": None, "code": err_code}}


# ------------------------------------------------------------------ the server


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() when the request arrived


class FakeOpenAIServer:
    """Context manager; ``base_url`` ends in /v1."""

    def __init__(self, latency_ms: int = 0, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.latency_s = latency_ms / 1000
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque()
        self._calls: list[RecordedRequest] = []
        self._seen_prefixes: set[str] = set()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
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

    def _record(self, call: RecordedRequest) -> Behaviour | None:
        with self._lock:
            self._calls.append(call)
            return self._script.popleft() if self._script else None

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    def _usage(self, messages: list[dict[str, Any]], text: str) -> dict[str, Any]:
        prompt = sum(estimate_tokens(str(m.get("content") or "")) + 4 for m in messages) + 3
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


def _dated(model: str) -> str:
    """Real answers name a dated snapshot of the requested model."""
    return f"{model}-2025-04-14" if re.fullmatch(r"gpt-4\.1(-mini|-nano)?", model) else model


def valid_content(body: dict[str, Any]) -> str:
    """Valid JSON for the schema named in response_format, built from the prompt text."""
    response_format = body.get("response_format") or {}
    name = str((response_format.get("json_schema") or {}).get("name") or "")
    schema = SCHEMAS.get(name)
    if schema is None:
        return json.dumps({"answer": "ok"})
    variables = variables_from_messages(name, body.get("messages") or [])
    return json.dumps(build_content(schema, variables), ensure_ascii=False)


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
            if urlsplit(self.path).path.rstrip("/").endswith("/models"):
                data = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o-mini")
                ]
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
            if urlsplit(self.path).path.rstrip("/").endswith("/moderations"):  # issue 9
                self._send(*moderation_answer(server, call))
                return
            if not urlsplit(self.path).path.rstrip("/").endswith("/chat/completions"):
                server._record(call)
                self._send(404, {}, _error_body(404))
                return
            behaviour = server._record(call)
            server._sleep(server.latency_s)
            if not isinstance(body, dict):
                self._send(400, {}, _error_body(400))
                return
            self._send(*server.answer(body, behaviour))

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
    args = parser.parse_args(argv)
    with FakeOpenAIServer(latency_ms=args.latency_ms, port=args.port) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

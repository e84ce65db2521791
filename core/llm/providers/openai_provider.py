"""OpenAI (or any OpenAI-compatible server) through the official SDK over our httpx client.

Structured outputs: the request carries a response_format whose schema is built by our own
code (core/llm/strict_schema.py) to pass OpenAI's strict-mode rules; OPENAI_RESPONSE_FORMAT
picks strict, non-strict, JSON mode or no response_format for compatible servers. We return
the RAW text: the gateway repairs and validates it, asks once for a fix, and keeps the text
as a draft if it stays invalid.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import openai
from pydantic import BaseModel

from core.errors import AppError, Code
from core.http import parse_retry_after
from core.llm.base import LLMRequest, LLMResponse
from core.llm.strict_schema import schema_prompt, strict_json_schema
from core.settings import Settings

# Reasoning models reject a temperature other than the default.
_NO_TEMPERATURE = re.compile(r"^(o\d|gpt-5)", re.I)
# Anything shaped like an OpenAI key, in case a server echoes one back in an error.
_KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}")
REDACTED = "sk-***"


class OpenAIProvider:
    name = "openai"

    def __init__(self, settings: Settings, http_client: httpx.Client) -> None:
        secret = settings.OPENAI_API_KEY.get_secret_value() if settings.OPENAI_API_KEY else ""
        self._secret = secret
        self.base_url = settings.OPENAI_BASE_URL
        self.response_format_mode = settings.OPENAI_RESPONSE_FORMAT
        # Local servers (vLLM, Ollama) accept any key; the SDK insists on one.
        self._client = openai.OpenAI(
            api_key=secret or "no-key",
            base_url=settings.OPENAI_BASE_URL,
            http_client=http_client,
            timeout=http_client.timeout,
            max_retries=0,  # our transport retries, with Retry-After and metrics
        )

    def complete(self, request: LLMRequest) -> LLMResponse:
        try:
            completion = self._client.chat.completions.create(**self._params(request))
        except openai.APIError as exc:
            raise self._app_error(exc) from None  # the SDK error text may quote the request
        if not completion.choices:
            return LLMResponse(text="", model=completion.model or request.model, finish_reason="empty")
        choice = completion.choices[0]
        message = choice.message
        refusal = message.refusal
        if choice.finish_reason == "content_filter" and not refusal:
            refusal = "the answer was blocked by the provider's content filter"
        usage = completion.usage
        details = usage.prompt_tokens_details if usage else None
        return LLMResponse(
            text=message.content or "",
            model=completion.model or request.model,
            input_tokens=usage.prompt_tokens if usage else 0,
            cached_tokens=(details.cached_tokens or 0) if details else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            refusal=refusal,
            finish_reason=choice.finish_reason,
        )

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        mode = self.response_format_mode
        params: dict[str, Any] = {"model": request.model, "messages": request_messages(request, mode)}
        fmt = response_format(request.schema, mode)
        if fmt is not None:
            params["response_format"] = fmt
        # OpenAI wants max_completion_tokens (max_tokens is refused by reasoning models); the
        # servers that need json_object/none mode are older ones that only know max_tokens.
        if mode in ("strict", "json_schema"):
            params["max_completion_tokens"] = request.max_output_tokens
        else:
            params["max_tokens"] = request.max_output_tokens
        if not _NO_TEMPERATURE.match(request.model):
            params["temperature"] = request.temperature
        return params

    def _app_error(self, exc: openai.APIError) -> AppError:
        code, retryable = classify(exc)
        status = getattr(exc, "status_code", None)
        details: dict[str, Any] = {"status": status, "type": type(exc).__name__}
        response = getattr(exc, "response", None)
        if isinstance(response, httpx.Response):
            details["request_id"] = response.headers.get("x-request-id")
            details["retry_after_s"] = parse_retry_after(response.headers)
        where = f" (HTTP {status})" if status else ""
        message = f"OpenAI request failed{where}: {self.redact(_describe(exc))}"
        hint = _hint(exc, self.response_format_mode)
        if hint:
            message = f"{message} ({hint})"
        return AppError(code, message, details=details, retryable=retryable)

    # issue 9: moderation before save, over the same SDK client and httpx transport as
    # generation, so timeouts and 429/5xx get the same retries with backoff.
    def moderate(self, texts: list[str], model: str) -> list[dict[str, Any]]:
        """One result per text: {"flagged": bool, "categories": {name: bool}, ...}."""
        try:
            response = self._client.moderations.create(model=model, input=texts)
        except openai.APIError as exc:
            raise self._app_error(exc) from None
        return [result.model_dump(by_alias=True) for result in response.results]

    def redact(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, REDACTED)
        return _KEY_SHAPE.sub(REDACTED, text)


RESPONSE_FORMAT_MODES = ("strict", "json_schema", "json_object", "none")


def response_format(schema: type[BaseModel], mode: str = "strict") -> dict[str, Any] | None:
    """The response_format for a mode; None means the field is left out of the request."""
    if mode in ("strict", "json_schema"):
        return {
            "type": "json_schema",
            "json_schema": {
                "name": schema.__name__,
                "schema": strict_json_schema(schema),
                "strict": mode == "strict",
            },
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def request_messages(request: LLMRequest, mode: str) -> list[dict[str, str]]:
    """The messages; in json_object/none mode the schema travels as a system message (JSON
    mode also requires the word "JSON" in the messages, which this instruction carries)."""
    if mode in ("strict", "json_schema"):
        return request.messages
    return [*request.messages, {"role": "system", "content": schema_prompt(request.schema)}]


def _hint(exc: openai.APIError, mode: str) -> str:
    """Which OPENAI_RESPONSE_FORMAT to try when a server refuses our response_format."""
    if getattr(exc, "status_code", None) not in (400, 422, 500):
        return ""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    param = inner.get("param") if isinstance(inner, dict) else None
    text = _describe(exc).lower()
    if param != "response_format" and "response_format" not in text and "json_schema" not in text:
        return ""
    order = list(RESPONSE_FORMAT_MODES)
    nxt = order[order.index(mode) + 1] if mode in order and mode != order[-1] else None
    if nxt is None:
        return "the server refuses response_format even with OPENAI_RESPONSE_FORMAT=none; check the server"
    return (
        f"this server does not accept response_format in OPENAI_RESPONSE_FORMAT={mode} mode; "
        f"set OPENAI_RESPONSE_FORMAT={nxt}"
    )


def classify(exc: openai.APIError) -> tuple[Code, bool]:
    """An AppError code for an SDK exception, and whether trying again may help."""
    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError, its parent
        return Code.OPENAI_TIMEOUT, True
    if isinstance(exc, openai.APIConnectionError):
        return Code.OPENAI_CONNECTION, True
    if isinstance(exc, openai.RateLimitError):
        # An exhausted quota or billing limit will not clear by waiting.
        quota = "insufficient_quota" in (exc.code, getattr(exc, "type", None))
        return Code.OPENAI_RATE_LIMIT, not quota
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return Code.OPENAI_AUTH, False
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 408:
            return Code.OPENAI_TIMEOUT, True
        if exc.status_code >= 500:
            return Code.OPENAI_SERVER, True
        return Code.OPENAI_BAD_REQUEST, False
    return Code.OPENAI_SERVER, True  # an answer the SDK could not read


def _describe(exc: openai.APIError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:500]
    return str(exc.message or type(exc).__name__)[:500]

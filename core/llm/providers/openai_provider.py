"""OpenAI (or any OpenAI-compatible server) through the official SDK over our httpx client.

Structured outputs: the request carries a strict json_schema response_format built by the
SDK's own helper from the pydantic schema, but we return the RAW text: the gateway
validates it, asks once for a fix, and keeps the text as a draft if it stays invalid.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import openai
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel

from core.errors import AppError, Code
from core.http import parse_retry_after
from core.llm.base import LLMRequest, LLMResponse
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
        params: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "response_format": response_format(request.schema),
        }
        # api.openai.com wants max_completion_tokens; many compatible servers only know max_tokens.
        if self.base_url is None or "openai.com" in self.base_url:
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


def response_format(schema: type[BaseModel]) -> Any:
    """The strict json_schema response_format the SDK itself builds for .parse()."""
    return type_to_response_format_param(schema)


def classify(exc: openai.APIError) -> tuple[Code, bool]:
    """An AppError code for an SDK exception, and whether trying again may help."""
    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError, its parent
        return Code.OPENAI_TIMEOUT, True
    if isinstance(exc, openai.APIConnectionError):
        return Code.OPENAI_CONNECTION, True
    if isinstance(exc, openai.RateLimitError):
        # An exhausted quota or billing limit will not clear by waiting.
        return Code.OPENAI_RATE_LIMIT, exc.code != "insufficient_quota"
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

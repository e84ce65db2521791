"""issue 18: the OpenAI Batch API, for work nobody waits on, at half the price.

The building block of an overnight course run: requests (the same bodies the live
provider sends) go up as one JSONL file, a batch is created on it, polled, and its
output and error files are read back by custom id. Documented rules followed here
(platform.openai.com/docs/guides/batch and the API reference for files and batches):

- each input line is {"custom_id", "method": "POST", "url": <the batch endpoint>,
  "body"}; custom ids are unique in a file; a file holds requests for one model and up
  to 50,000 lines (200 MB), uploaded with purpose "batch";
- a batch names input_file_id, endpoint and completion_window "24h"; its status goes
  validating -> in_progress -> finalizing -> completed (or failed, expired, cancelling,
  cancelled); output_file_id and error_file_id hold one line per request:
  {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"};
- batch calls cost 50% of the live price, input and output alike.

Not wired into the course generation yet: the job that submits a course, survives
restarts by keeping the batch id, and saves results through the gateway's validation is
the next step (see docs/adr/0018).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import openai

from core.errors import AppError
from core.llm.base import LLMRequest, LLMResponse
from core.llm.pricing import cost_usd
from core.llm.providers.openai_provider import OpenAIProvider

ENDPOINT: Final = "/v1/chat/completions"
BATCH_DISCOUNT = 0.5
MAX_LINES = 50_000
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


def batch_cost(
    model: str, input_tokens: int, cached_tokens: int, output_tokens: int, at: datetime | None = None
) -> float:
    """What a call costs through the Batch API: half the live price."""
    return cost_usd(model, input_tokens, cached_tokens, output_tokens, at=at) * BATCH_DISCOUNT


@dataclass
class BatchResult:
    custom_id: str
    status_code: int | None
    response: LLMResponse | None  # None when the request failed
    error: str | None = None


class BatchClient:
    """Batch calls over the live provider's SDK client (same httpx client, same keys)."""

    def __init__(self, provider: OpenAIProvider) -> None:
        self.provider = provider
        self._client = provider._client

    def jsonl(self, requests: dict[str, LLMRequest]) -> bytes:
        if not requests:
            raise ValueError("a batch needs at least one request")
        if len(requests) > MAX_LINES:
            raise ValueError(f"a batch holds at most {MAX_LINES} requests, got {len(requests)}")
        models = {r.model for r in requests.values()}
        if len(models) > 1:
            raise ValueError(f"a batch file holds requests for one model, got {sorted(models)}")
        lines = [
            json.dumps(
                {"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": self.provider._params(req)}
            )
            for cid, req in requests.items()
        ]
        return ("\n".join(lines) + "\n").encode()

    def submit(self, requests: dict[str, LLMRequest], *, metadata: dict[str, str] | None = None) -> str:
        """Upload the requests and create the batch; returns its id (keep it: it is the job)."""
        try:
            uploaded = self._client.files.create(
                file=("requests.jsonl", self.jsonl(requests)), purpose="batch"
            )
            batch = self._client.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata=metadata or None,
            )
        except openai.APIError as exc:
            raise self.provider._app_error(exc) from None
        return batch.id

    def status(self, batch_id: str) -> Any:
        try:
            return self._client.batches.retrieve(batch_id)
        except openai.APIError as exc:
            raise self.provider._app_error(exc) from None

    def results(self, batch: Any) -> dict[str, BatchResult]:
        """Every request's answer or error, by custom id (output and error files together)."""
        out: dict[str, BatchResult] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            try:
                text = self._client.files.content(file_id).text
            except openai.APIError as exc:
                raise self.provider._app_error(exc) from None
            for line in text.splitlines():
                if line.strip():
                    result = _result(json.loads(line))
                    out[result.custom_id] = result
        return out


def _result(line: dict[str, Any]) -> BatchResult:
    response = line.get("response") or {}
    status = response.get("status_code")
    body = response.get("body") or {}
    if line.get("error") or not status or status >= 400:
        error = line.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        return BatchResult(line["custom_id"], status, None, message or f"HTTP {status}")
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = body.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return BatchResult(
        line["custom_id"],
        status,
        LLMResponse(
            text=message.get("content") or "",
            model=body.get("model") or "",
            input_tokens=int(usage.get("prompt_tokens") or 0),
            cached_tokens=int(details.get("cached_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            refusal=message.get("refusal"),
            finish_reason=choice.get("finish_reason"),
        ),
    )


def batch_failure(batch: Any) -> AppError | None:
    """A failed/expired/cancelled batch as an error naming what OpenAI said."""
    from core.errors import Code

    if batch.status in ("completed", "validating", "in_progress", "finalizing", "cancelling"):
        return None
    errors = getattr(batch, "errors", None)
    data = getattr(errors, "data", None) or []
    said = "; ".join(f"line {e.line}: {e.message}" if e.line else str(e.message) for e in data[:5])
    return AppError(
        Code.OPENAI_BAD_REQUEST, f"the batch ended {batch.status}" + (f": {said}" if said else "")
    )

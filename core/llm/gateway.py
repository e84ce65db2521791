"""generate(): render a prompt, call the provider, validate, remediate once, record every call."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import insert

from core.db import session_scope
from core.errors import AppError, Code
from core.llm.base import LLMProvider, LLMRequest, LLMResponse
from core.llm.pricing import cost_usd
from core.models import LLMCall, utcnow
from core.prompts import PromptSpec
from core.settings import get_settings
from core.templating import DATA_TAG, neutralize_data

T = TypeVar("T", bound=BaseModel)

REMEDIATION_INSTRUCTION = (
    "Your previous answer could not be accepted. Problems:\n{problems}\n\n"
    "Answer again with the complete JSON object only, fixing every problem listed."
)


@dataclass
class CallContext:
    step: str
    job_id: int | None = None
    course_id: int | None = None
    node_type: str | None = None
    node_id: int | None = None


@dataclass
class Generation(Generic[T]):
    """The outcome of one generate(): a validated value, or the raw text kept as a draft."""

    value: T | None
    raw_text: str
    prompt: PromptSpec
    model: str
    error_code: str | None = None
    problems: list[str] = field(default_factory=list)
    remediated: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    call_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse_answer(
    text: str, schema: type[T], check: Callable[[T], list[str]] | None = None
) -> tuple[T | None, list[str]]:
    """Validate raw model text against a schema and extra checks; list every problem."""
    try:
        data = json.loads(_strip_fences(text))
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not valid JSON: {exc.msg} at position {exc.pos}"]
    try:
        value = schema.model_validate(data)
    except ValidationError as exc:
        return None, [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()]
    problems = check(value) if check else []
    return (None, problems) if problems else (value, [])


def _strip_fences(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped


def _record(
    ctx: CallContext,
    provider: str,
    spec: PromptSpec,
    model: str,
    resp: LLMResponse | None,
    latency_ms: float,
    outcome: str,
    error_code: str | None,
    remediation: bool,
) -> int:
    usage = resp or LLMResponse(text="", model=model)
    row = {
        "job_id": ctx.job_id,
        "course_id": ctx.course_id,
        "step": ctx.step,
        "node_type": ctx.node_type,
        "node_id": ctx.node_id,
        "provider": provider,
        "model": usage.model or model,
        "prompt_id": spec.prompt_id,
        "prompt_version": spec.version,
        "prompt_checksum": spec.checksum,
        "input_tokens": usage.input_tokens,
        "cached_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": cost_usd(
            usage.model or model, usage.input_tokens, usage.cached_tokens, usage.output_tokens
        ),
        "latency_ms": latency_ms,
        "outcome": outcome,
        "error_code": error_code,
        "remediation": remediation,
        "created_at": utcnow(),
    }
    # A plain INSERT: one row per model call is on the hot path of every lesson.
    with session_scope() as session:
        result = session.execute(insert(LLMCall).values(**row).returning(LLMCall.id))
        return int(result.scalar_one())


def generate(
    *,
    provider: LLMProvider,
    spec: PromptSpec,
    variables: dict[str, Any],
    ctx: CallContext,
    check: Callable[[Any], list[str]] | None = None,
    model: str | None = None,
    extra_instruction: str | None = None,
) -> Generation[Any]:
    """One validated generation. Transport errors raise AppError after the call is recorded.

    No database transaction is open while the provider is called: each call row is written
    in its own short transaction afterwards.
    """
    schema = spec.schema
    model = model or spec.defaults.get("model") or get_settings().model_for(ctx.step)
    messages = spec.render(variables)
    if extra_instruction:
        # The author's instruction is user text: delimited as data, like every other (issue 9).
        messages.append(
            {
                "role": "user",
                "content": f"Additional instruction:\n<{DATA_TAG}>\n{neutralize_data(extra_instruction)}\n</{DATA_TAG}>",
            }
        )
    request = LLMRequest(
        step=ctx.step,
        messages=messages,
        schema=schema,
        model=model,
        temperature=float(spec.defaults.get("temperature", 0.4)),
        max_output_tokens=int(spec.defaults.get("max_output_tokens", 4000)),
        variables={**variables, **({"instruction": extra_instruction} if extra_instruction else {})},
    )
    gen: Generation[Any] = Generation(value=None, raw_text="", prompt=spec, model=model)

    for attempt in (0, 1):
        started = time.perf_counter()
        try:
            resp = provider.complete(request)
        except AppError as exc:
            latency = (time.perf_counter() - started) * 1000
            gen.call_ids.append(
                _record(ctx, provider.name, spec, model, None, latency, "error", exc.code, attempt == 1)
            )
            raise
        latency = (time.perf_counter() - started) * 1000
        gen.input_tokens += resp.input_tokens
        gen.output_tokens += resp.output_tokens
        gen.cached_tokens += resp.cached_tokens
        gen.cost_usd += cost_usd(
            resp.model or model, resp.input_tokens, resp.cached_tokens, resp.output_tokens
        )
        gen.model = resp.model or model

        if resp.refusal:
            gen.raw_text = resp.refusal
            gen.error_code = Code.LLM_REFUSED
            gen.problems = [f"the model refused: {resp.refusal}"]
            gen.call_ids.append(
                _record(
                    ctx, provider.name, spec, model, resp, latency, "refused", gen.error_code, attempt == 1
                )
            )
            return gen

        gen.raw_text = resp.text
        value, problems = parse_answer(resp.text, schema, check)
        if value is not None:
            gen.value = value
            gen.error_code = None
            gen.problems = []
            gen.remediated = attempt == 1
            gen.call_ids.append(
                _record(ctx, provider.name, spec, model, resp, latency, "ok", None, attempt == 1)
            )
            return gen

        truncated = resp.finish_reason == "length"
        if truncated:
            problems = ["the answer was cut off at the output token limit; be more concise", *problems]
        gen.error_code = Code.LLM_TRUNCATED if truncated else Code.LLM_INVALID_OUTPUT
        gen.problems = problems
        gen.call_ids.append(
            _record(ctx, provider.name, spec, model, resp, latency, "invalid", gen.error_code, attempt == 1)
        )
        request = LLMRequest(
            step=request.step,
            messages=[
                *messages,
                {"role": "assistant", "content": resp.text[:20000]},
                {
                    "role": "user",
                    "content": REMEDIATION_INSTRUCTION.format(
                        problems="\n".join(f"- {p}" for p in problems[:30])
                    ),
                },
            ],
            schema=schema,
            model=model,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
            variables=request.variables,
            remediation=True,
        )
    return gen

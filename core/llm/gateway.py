"""generate(): render a prompt, reserve the call's cost, call the provider, repair, validate,
remediate once, record every call."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from core import instrument
from core.errors import AppError, Code
from core.llm import budget, scheduler
from core.llm.base import LLMProvider, LLMRequest, LLMResponse
from core.llm.pricing import cost_usd
from core.llm.repair import Repair, repair_titles
from core.models import utcnow
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
    # issue 18: served before bulk work by the scheduler; None: interactive outside a job.
    interactive: bool | None = None


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
    # What the gateway repaired in the accepted answer (path, reason, before, after).
    repairs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse_answer(
    text: str, schema: type[T], check: Callable[[T], list[str]] | None = None
) -> tuple[T | None, list[str]]:
    """Validate raw model text against a schema and extra checks; list every problem."""
    value, problems, _ = parse_and_repair(text, schema, check)
    return value, problems


def parse_and_repair(
    text: str,
    schema: type[T],
    check: Callable[[T], list[str]] | None = None,
    repair: Callable[[Any], list[Repair]] | None = None,
) -> tuple[T | None, list[str], list[Repair]]:
    """Parse, repair what can be repaired deterministically (titles always, plus the
    caller's repair), validate, check. Returns the value or every problem, and the repairs."""
    try:
        data = json.loads(_strip_fences(text))
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not valid JSON: {exc.msg} at position {exc.pos}"], []
    repairs = repair_titles(schema, data)
    if repair is not None:
        repairs += repair(data)
    try:
        value = schema.model_validate(data)
    except ValidationError as exc:
        return (
            None,
            [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()],
            repairs,
        )
    problems = check(value) if check else []
    return (None, problems, repairs) if problems else (value, [], repairs)


def _strip_fences(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped


def _call_row(
    ctx: CallContext, provider: str, spec: PromptSpec, model: str, remediation: bool
) -> dict[str, Any]:
    return {
        "job_id": ctx.job_id,
        "course_id": ctx.course_id,
        "step": ctx.step,
        "node_type": ctx.node_type,
        "node_id": ctx.node_id,
        "provider": provider,
        "model": model,
        "prompt_id": spec.prompt_id,
        "prompt_version": spec.version,
        "prompt_checksum": spec.checksum,
        "remediation": remediation,
    }


def _finish(
    call_id: int,
    model: str,
    resp: LLMResponse | None,
    latency_ms: float,
    outcome: str,
    error_code: str | None,
    started_at: datetime,
    prompt_id: str = "",
) -> float:
    """Complete the call's row with what the provider reported; returns the call's cost."""
    usage = resp or LLMResponse(text="", model=model)
    # Priced at the price in effect when the call was made.
    cost = cost_usd(
        usage.model or model, usage.input_tokens, usage.cached_tokens, usage.output_tokens, at=started_at
    )
    row = {
        "model": usage.model or model,
        "input_tokens": usage.input_tokens,
        "cached_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": cost,
        "latency_ms": latency_ms,
        "outcome": outcome,
        "error_code": error_code,
    }
    budget.finish(call_id, row)
    instrument.model_call_recorded({**row, "prompt_id": prompt_id})
    return cost


def _budget_wait_s() -> float:
    # Wait for other calls of the job to release their reservations at most as long as
    # one call can take, retries included.
    settings = get_settings()
    return settings.HTTP_TIMEOUT_S * (settings.HTTP_RETRIES + 1) + settings.HTTP_BACKOFF_MAX_S


def generate(
    *,
    provider: LLMProvider,
    spec: PromptSpec,
    variables: dict[str, Any],
    ctx: CallContext,
    check: Callable[[Any], list[str]] | None = None,
    model: str | None = None,
    extra_instruction: str | None = None,
    repair: Callable[[Any], list[Repair]] | None = None,
) -> Generation[Any]:
    """One validated generation. Transport errors raise AppError after the call is recorded.

    Every call's llm_calls row is written as "started" with its worst-case cost before the
    provider is called (refused if the job's budget cannot hold it) and completed after. No
    database transaction is open while the provider is called.
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
        row = _call_row(ctx, provider.name, spec, model, attempt == 1)
        try:
            call_id = budget.reserve(row, request, provider.name, wait_s=_budget_wait_s())
        except AppError as exc:
            if attempt == 0:
                raise
            # No room left for the remediation: the first answer stays a draft.
            gen.problems = [*gen.problems, f"not remediated: {exc.message}"]
            return gen
        gen.call_ids.append(call_id)
        started_at = utcnow()
        started = time.perf_counter()
        try:
            with (
                scheduler.call_scope(job_id=ctx.job_id, interactive=ctx.interactive),
                instrument.model_call(provider.name, model, spec.prompt_id, ctx.step, attempt) as call,
            ):
                resp = provider.complete(request)
                call.done(resp)
        except AppError as exc:
            latency = (time.perf_counter() - started) * 1000
            _finish(call_id, model, None, latency, "error", exc.code, started_at, spec.prompt_id)
            raise
        except BaseException:
            # Not an answer we understand: the row says error, at no known cost.
            latency = (time.perf_counter() - started) * 1000
            _finish(call_id, model, None, latency, "error", Code.INTERNAL, started_at, spec.prompt_id)
            raise
        latency = (time.perf_counter() - started) * 1000
        gen.input_tokens += resp.input_tokens
        gen.output_tokens += resp.output_tokens
        gen.cached_tokens += resp.cached_tokens
        gen.model = resp.model or model

        if resp.refusal:
            gen.raw_text = resp.refusal
            gen.error_code = Code.LLM_REFUSED
            gen.problems = [f"the model refused: {resp.refusal}"]
            gen.cost_usd += _finish(
                call_id, model, resp, latency, "refused", gen.error_code, started_at, spec.prompt_id
            )
            return gen

        gen.raw_text = resp.text
        value, problems, repairs = parse_and_repair(resp.text, schema, check, repair)
        if value is not None:
            gen.value = value
            gen.error_code = None
            gen.problems = []
            gen.repairs = [r.as_dict() for r in repairs]
            gen.remediated = attempt == 1
            gen.cost_usd += _finish(call_id, model, resp, latency, "ok", None, started_at, spec.prompt_id)
            return gen

        truncated = resp.finish_reason == "length"
        if truncated:
            problems = ["the answer was cut off at the output token limit; be more concise", *problems]
        gen.error_code = Code.LLM_TRUNCATED if truncated else Code.LLM_INVALID_OUTPUT
        gen.problems = problems
        gen.cost_usd += _finish(
            call_id, model, resp, latency, "invalid", gen.error_code, started_at, spec.prompt_id
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

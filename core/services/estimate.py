"""What a course will cost before it runs: calls, tokens and dollars per step.

Token counts are estimated from rendered prompts and typical answer sizes (no tokenizer
download); the figure is a planning number, shown next to what runs actually cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.llm.budget import INPUT_SAFETY
from core.llm.pricing import cost_usd, estimate_tokens
from core.prompts import active_prompt
from core.schemas import CourseParams
from core.settings import get_settings

# Typical answer sizes, in tokens, measured on generated courses.
OUTLINE_TOKENS_PER_LESSON = 90
OUTLINE_TOKENS_PER_MODULE = 110
LESSON_TOKENS_BASE = 450  # key points, exercises, quiz
LESSON_TOKENS_PER_MINUTE = 45  # the Markdown body grows with the lesson's length
SLIDE_TOKENS = 110
LESSON_PROMPT_EXTRA = 120  # per-lesson variables on top of the rendered template


@dataclass(frozen=True)
class StepEstimate:
    step: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    # Issue 8: what one call of this step reserves against a budget (its worst case).
    worst_call_usd: float = 0.0


@dataclass(frozen=True)
class CourseEstimate:
    steps: list[StepEstimate]
    provider: str

    @property
    def calls(self) -> int:
        return sum(s.calls for s in self.steps)

    @property
    def cost_usd(self) -> float:
        return round(sum(s.cost_usd for s in self.steps), 4)

    @property
    def tokens(self) -> int:
        return sum(s.input_tokens + s.output_tokens for s in self.steps)

    @property
    def min_budget_usd(self) -> float:
        """A budget under this starts no call of the step with the largest reservation."""
        return round(max((s.worst_call_usd for s in self.steps), default=0.0), 4)


def _template_tokens(prompt_id: str) -> int:
    spec = active_prompt(prompt_id)
    return estimate_tokens(spec.system) + estimate_tokens(spec.template)


def _step(step: str, calls: int, tokens_in: int, tokens_out: int, provider: str) -> StepEstimate:
    model = "offline" if provider == "offline" else get_settings().model_for(step)
    # The reservation a call makes: padded input, the prompt's whole max output (core.llm.budget).
    max_out = int(active_prompt(step).defaults.get("max_output_tokens", 4000))
    worst_in = math.ceil(tokens_in / max(1, calls) * INPUT_SAFETY)
    return StepEstimate(
        step=step,
        model=model,
        calls=calls,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=round(cost_usd(model, tokens_in, 0, tokens_out), 4),
        worst_call_usd=round(cost_usd(model, worst_in, 0, max_out), 6),
    )


def estimate_course(
    params: CourseParams, *, slides: bool = True, provider: str | None = None
) -> CourseEstimate:
    """Calls, tokens and cost of generating this course from scratch (no remediation).

    `provider` overrides the configured one: "openai" prices the configured models even
    while the offline provider is active (what the course would cost with a key).
    """
    provider = provider or get_settings().provider_name
    if provider not in ("openai", "offline"):
        raise ValueError(f"unknown provider {provider!r}; choose openai or offline")
    lessons = params.lesson_count
    minutes = params.total_duration_minutes
    outline_in = _template_tokens("outline") + estimate_tokens(params.constraints) + 80
    outline_out = lessons * OUTLINE_TOKENS_PER_LESSON + params.module_count * OUTLINE_TOKENS_PER_MODULE
    lesson_in = lessons * (_template_tokens("lesson") + LESSON_PROMPT_EXTRA)
    lesson_out = lessons * LESSON_TOKENS_BASE + minutes * LESSON_TOKENS_PER_MINUTE
    steps = [
        _step("outline", 1, outline_in, outline_out, provider),
        _step("lesson", lessons, lesson_in, lesson_out, provider),
    ]
    if slides:
        slide_count = sum(max(3, min(12, round(minutes / lessons / 4) + 2)) for _ in range(lessons))
        slides_in = lessons * _template_tokens("slides") + lesson_out
        steps.append(_step("slides", lessons, slides_in, slide_count * SLIDE_TOKENS, provider))
    return CourseEstimate(steps=steps, provider=provider)

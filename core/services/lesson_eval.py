"""Golden-set evaluation of the lesson prompt (issue 13): content scores, not only shape.

The lesson golden set is the course golden set (evals/golden): for each request, the first
LESSONS_PER_CASE lessons of the plan the offline writer makes for it (deterministic, so every
run and every provider gets the same lessons), each with its neighbours' titles and
objectives. Each lesson is written by the version under test; the answers are scored with
core.services.content_scores, per course (overlap is between the lessons of one course).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from core.llm.base import LLMProvider
from core.llm.gateway import CallContext, generate
from core.llm.providers.offline import build_outline
from core.prompts import PromptSpec
from core.schemas import CourseParams
from core.services import content_scores as cs
from core.services.eval_runs import eval_model, report_head, run_counted
from core.services.prompt_lab import variables_for

LESSONS_PER_CASE = 3
# Gated, each 0..1 and higher is better; the judge is reported beside them (None offline).
LESSON_SCORES = (
    "schema_validity",
    "objective_coverage",
    "answer_balance",
    "length_fit",
    "reading_level",
    "overlap",
)


def _neighbour(lesson: dict[str, Any]) -> str:
    return f"{lesson['title']} — {'; '.join(lesson['objectives'])}"


def lesson_cases(params: CourseParams) -> list[dict[str, Any]]:
    """The lessons of one golden request: variables for each, with its neighbours."""
    base = variables_for(params)
    outline = build_outline(base)
    flat = [(m["title"], lesson) for m in outline["modules"] for lesson in m["lessons"]]
    out = []
    for i, (module_title, lesson) in enumerate(flat[:LESSONS_PER_CASE]):
        around = [flat[j][1] for j in (i - 1, i + 1) if 0 <= j < len(flat)]
        out.append(
            {
                **base,
                "course_title": outline["title"],
                "module_title": module_title,
                "lesson_title": lesson["title"],
                "objectives": list(lesson["objectives"]),
                "duration_minutes": lesson["duration_minutes"],
                "neighbours": [_neighbour(n) for n in around],
                "body_words": cs.body_words(lesson["duration_minutes"], params.language.value),
                "words_per_minute": cs.READING_WPM[params.language.value],
            }
        )
    return out


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(statistics.fmean(kept), 4) if kept else None


def _one_case(spec: PromptSpec, case: Any, provider: LLMProvider, model: str, repeat: int) -> dict[str, Any]:
    lessons, calls = [], []
    for variables in lesson_cases(case.request):
        declared = {k: variables[k] for k in spec.variables if k in variables}
        started = time.perf_counter()
        try:
            gen = generate(
                provider=provider, spec=spec, variables=declared, ctx=CallContext(step="eval"), model=model
            )
        except Exception as exc:  # a provider error scores zero for this lesson; the report says why
            calls.append({"valid": False, "error": f"{type(exc).__name__}: {exc}"[:300], "latency_ms": 0.0,
                          "cost_usd": 0.0, "input_tokens": 0, "output_tokens": 0, "remediated": False})  # fmt: skip
            continue
        calls.append(
            {
                "valid": gen.ok,
                "error": gen.error_code,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                "cost_usd": gen.cost_usd,
                "input_tokens": gen.input_tokens,
                "output_tokens": gen.output_tokens,
                "remediated": gen.remediated,
            }
        )
        if gen.ok and gen.value is not None:
            lessons.append(
                {
                    "content": gen.value.model_dump(mode="json"),
                    "objectives": variables["objectives"],
                    "minutes": variables["duration_minutes"],
                }
            )
    lang, level = case.request.language.value, case.request.level.value
    scored = cs.score_course(lessons, lang=lang, level=level, provider=getattr(provider, "name", "unknown"))
    if not lessons:
        scored["scores"] = {name: 0.0 for name in LESSON_SCORES if name != "schema_validity"}
    return {
        "id": case.id,
        "repeat": repeat,
        "calls": calls,
        "scores": scored["scores"],
        "judge": scored["judge"],
    }


def evaluate_lessons(
    *,
    spec: PromptSpec,
    cases: list[Any],
    provider: LLMProvider,
    repeats: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    model = eval_model(spec)
    work = [(case, r) for case in cases for r in range(repeats)]
    results = run_counted(lambda item: _one_case(spec, item[0], provider, model, item[1]), work, progress)
    calls = [c for r in results for c in r["calls"]]
    latencies = sorted(c["latency_ms"] for c in calls)
    cost = sum(c["cost_usd"] for c in calls)
    scores: dict[str, Any] = {
        "schema_validity": _mean([1.0 if c["valid"] else 0.0 for c in calls]) or 0.0,
        **{name: _mean([r["scores"].get(name) for r in results]) for name in LESSON_SCORES[1:]},
        # Only a real provider judges; offline this stays None ("not measured"), never 1.0.
        "judge": None,
        "remediation_rate": _mean([1.0 if c["remediated"] else 0.0 for c in calls]) or 0.0,
        "runs": len(calls),
        "input_tokens": sum(c["input_tokens"] for c in calls),
        "output_tokens": sum(c["output_tokens"] for c in calls),
        "cost_usd_total": round(cost, 6),
        "cost_usd_per_run": round(cost / len(calls), 6) if calls else 0.0,
        "latency_ms_mean": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "latency_ms_p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        if latencies
        else 0.0,
    }
    return {
        **report_head(spec, provider, model, repeats, len(cases)),
        "gated_scores": list(LESSON_SCORES),
        "judge": results[0]["judge"] if results else cs.judge(getattr(provider, "name", "unknown")),
        "scores": scores,
        "per_case": [{"id": r["id"], "repeat": r["repeat"], "scores": r["scores"]} for r in results],
    }

"""Golden-set evaluation of the slides prompt (issue 13): decks scored on their content.

The cases are the lesson golden set's lessons (core.services.lesson_eval.lesson_cases), each
with the body and key points the offline writer gives it (deterministic, the same for every
provider), so only the slides prompt and the model vary. Scores, 0..1, higher is better:

- count_fit: slides against the count the duration asks for (generation._slide_count);
- bullet_rules: share of slides with 2 to 5 bullets, each under 100 characters;
- key_point_coverage: share of the lesson's key points the deck mentions;
- notes: share of slides with speaker notes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from core.llm.base import LLMProvider
from core.llm.gateway import CallContext, generate
from core.llm.providers.offline import build_lesson
from core.prompts import PromptSpec
from core.services.content_scores import _covers, _stems
from core.services.eval_runs import eval_model, report_head, run_counted
from core.services.lesson_eval import lesson_cases

SLIDE_SCORES = ("schema_validity", "count_fit", "bullet_rules", "key_point_coverage", "notes")


def expected_slides(minutes: int) -> int:
    from core.services.generation import _slide_count

    return _slide_count(minutes)


def score_deck(deck: dict[str, Any], *, key_points: list[str], minutes: int, lang: str) -> dict[str, float]:
    slides = deck.get("slides") or []
    if not slides:
        return {"count_fit": 0.0, "bullet_rules": 0.0, "key_point_coverage": 0.0, "notes": 0.0}
    want = expected_slides(minutes)
    text = _stems(" ".join(s.get("title", "") + " " + " ".join(s.get("bullets", [])) for s in slides), lang)
    ruled = [
        2 <= len(s.get("bullets", [])) <= 5 and all(len(b) < 100 for b in s.get("bullets", []))
        for s in slides
    ]
    return {
        "count_fit": round(min(len(slides) / want, want / len(slides)), 4),
        "bullet_rules": round(sum(ruled) / len(slides), 4),
        "key_point_coverage": round(sum(_covers(k, text, lang) for k in key_points) / len(key_points), 4)
        if key_points
        else 1.0,
        "notes": round(sum(bool(str(s.get("notes", "")).strip()) for s in slides) / len(slides), 4),
    }


def _one(spec: PromptSpec, case: Any, provider: LLMProvider, model: str) -> list[dict[str, Any]]:
    out = []
    lang = case.request.language.value
    for variables in lesson_cases(case.request):
        lesson = build_lesson(variables)
        slide_vars = {**variables, **lesson, "slide_count": expected_slides(variables["duration_minutes"])}
        declared = {k: slide_vars[k] for k in spec.variables if k in slide_vars}
        started = time.perf_counter()
        try:
            gen = generate(
                provider=provider, spec=spec, variables=declared, ctx=CallContext(step="eval"), model=model
            )
        except Exception:  # a provider error scores zero for this deck
            out.append({"valid": False, "scores": score_deck({}, key_points=[], minutes=1, lang=lang),
                        "cost_usd": 0.0, "latency_ms": 0.0})  # fmt: skip
            continue
        deck = gen.value.model_dump(mode="json") if gen.ok and gen.value is not None else {}
        out.append(
            {
                "valid": gen.ok,
                "scores": score_deck(
                    deck, key_points=lesson["key_points"], minutes=variables["duration_minutes"], lang=lang
                ),
                "cost_usd": gen.cost_usd,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        )
    return out


def evaluate_slides(
    *,
    spec: PromptSpec,
    cases: list[Any],
    provider: LLMProvider,
    repeats: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    model = eval_model(spec)
    work = [case for case in cases for _ in range(repeats)]
    per_case = run_counted(lambda c: _one(spec, c, provider, model), work, progress)
    decks = [d for case in per_case for d in case]
    cost = sum(d["cost_usd"] for d in decks)

    def mean(name: str) -> float:
        values = [d["scores"][name] for d in decks if d["valid"]]
        return round(statistics.fmean(values), 4) if values else 0.0

    scores: dict[str, Any] = {
        "schema_validity": round(statistics.fmean(1.0 if d["valid"] else 0.0 for d in decks), 4)
        if decks
        else 0.0,
        **{name: mean(name) for name in SLIDE_SCORES[1:]},
        "remediation_rate": 0.0,
        "runs": len(decks),
        "cost_usd_total": round(cost, 6),
        "cost_usd_per_run": round(cost / len(decks), 6) if decks else 0.0,
        "latency_ms_mean": round(statistics.fmean(d["latency_ms"] for d in decks), 1) if decks else 0.0,
    }
    return {
        **report_head(spec, provider, model, repeats, len(cases)),
        "gated_scores": list(SLIDE_SCORES),
        "scores": scores,
        "per_case": [
            {
                "id": case.id,
                "scores": {
                    n: round(statistics.fmean(d["scores"][n] for d in decks_), 4) for n in SLIDE_SCORES[1:]
                },
            }
            for case, decks_ in zip(work, per_case, strict=True)
            if decks_
        ],
    }

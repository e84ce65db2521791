"""The estimate names the smallest budget that can start a call (issue 8)."""

from __future__ import annotations

import pytest

from core.llm.pricing import cost_usd
from core.schemas import CourseParams
from core.services.estimate import estimate_course

PARAMS = CourseParams(topic="Negotiation", module_count=2, lessons_per_module=3, total_duration_minutes=120)


def test_min_budget_is_the_largest_worst_case_call(db: str) -> None:
    estimate = estimate_course(PARAMS, provider="openai")
    # Outline and lesson prompts allow 6000 output tokens; at gpt-4.1-mini that alone is $0.0096.
    assert estimate.min_budget_usd >= cost_usd("gpt-4.1-mini", 0, 0, 6000)
    assert estimate.min_budget_usd == round(max(s.worst_call_usd for s in estimate.steps), 4)
    for step in estimate.steps:
        assert step.worst_call_usd > step.cost_usd / step.calls  # a reservation covers a typical call


def test_offline_needs_no_budget(db: str) -> None:
    assert estimate_course(PARAMS, provider="offline").min_budget_usd == pytest.approx(0.0)

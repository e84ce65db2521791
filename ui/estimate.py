"""Cost before a run: the estimate line, its per-step table, and the per-course budget the
lesson-generation job is started with."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from pydantic import ValidationError

from core.schemas import CourseParams
from core.services.estimate import CourseEstimate, estimate_course
from core.settings import get_settings
from ui.i18n import label, t

BUDGET = "budget.{}".format  # survives page switches; widgets copy into it


def _usd(value: float) -> str:
    # "\$": a pair of bare dollars would be read as LaTeX by st.markdown.
    if value == 0:
        return "\\$0"
    return "\\$" + (f"{value:.2f}" if value >= 1 else f"{value:.4f}")


def params_of(raw: dict[str, object]) -> CourseParams | None:
    """A stored course's parameters, or None for a course whose parameters no longer validate."""
    try:
        return CourseParams.model_validate(raw)
    except ValidationError:
        return None


def budget_usd(course_id: int | str | None) -> float | None:
    """The budget set for a course in this session; None means no budget."""
    value = float(st.session_state.get(BUDGET(course_id)) or 0.0)
    return value if value > 0 else None


def move_budget(src: int | str | None, dst: int) -> None:
    """Carry a budget typed before the course existed over to the new course."""
    if BUDGET(src) in st.session_state:
        st.session_state[BUDGET(dst)] = st.session_state.pop(BUDGET(src))


def _copy(widget_key: str, course_id: int | str | None) -> None:
    st.session_state[BUDGET(course_id)] = float(st.session_state.get(widget_key) or 0.0)


def budget_input(course_id: int | str | None, *, key: str) -> float | None:
    widget_key = f"{key}-budget"
    st.session_state[widget_key] = float(st.session_state.get(BUDGET(course_id)) or 0.0)
    st.number_input(
        t("budget_usd"),
        min_value=0.0,
        max_value=10_000.0,
        step=0.5,
        format="%.2f",
        key=widget_key,
        help=t("budget_help"),
        on_change=_copy,
        args=(widget_key, course_id),
    )
    return budget_usd(course_id)


def only_lessons(estimate: CourseEstimate, lessons: int, planned: int) -> CourseEstimate:
    """The lesson step alone, scaled to the lessons an approval will actually write."""
    share = lessons / planned if planned else 0.0
    steps = [
        replace(
            s,
            calls=lessons,
            input_tokens=round(s.input_tokens * share),
            output_tokens=round(s.output_tokens * share),
            cost_usd=round(s.cost_usd * share, 4),
        )
        for s in estimate.steps
        if s.step == "lesson"
    ]
    return CourseEstimate(steps=steps, provider=estimate.provider)


def _table(estimate: CourseEstimate) -> list[dict[str, object]]:
    return [
        {
            t("col_step"): label("estep", s.step),
            t("col_model"): s.model,
            t("calls"): s.calls,
            t("input_tokens"): s.input_tokens,
            t("output_tokens"): s.output_tokens,
            t("cost_usd"): s.cost_usd,
        }
        for s in estimate.steps
    ]


def estimate_panel(params: CourseParams, *, lessons: int | None = None) -> None:
    """'Estimate: N calls, ~T tokens, ~$X'; offline says $0 and prices the OpenAI models."""
    offline = get_settings().provider_name == "offline"
    priced = estimate_course(params, provider="openai")
    if lessons is not None:
        priced = only_lessons(priced, lessons, params.lesson_count)
    figures = {"calls": priced.calls, "tokens": f"{priced.tokens:,}"}
    if offline:
        st.markdown(t("estimate_offline", usd=_usd(0), **figures))
        models = ", ".join(sorted({s.model for s in priced.steps}))
        st.caption(t("estimate_openai_would", models=models, usd=_usd(priced.cost_usd)))
    else:
        st.markdown(t("estimate_line", usd=_usd(priced.cost_usd), **figures))
    with st.expander(t("estimate_steps")):
        st.dataframe(_table(priced), hide_index=True)

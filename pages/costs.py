"""Costs: tokens and money per course, job, step and prompt version, from llm_calls."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core.db import session_scope
from core.services.costs import cost_breakdown, total_cost
from core.services.courses import list_courses
from ui import state
from ui.i18n import label, t
from ui.layout import header

header(":material/payments:", "nav_costs")
with session_scope() as session:
    courses = {int(c.id or 0): c.title for c in list_courses(session, include_archived=True)}
choice = st.selectbox(
    t("course_filter"),
    [0, *courses],
    format_func=lambda i: courses.get(i, t("all_courses")),
    # The language is in the key: Streamlit keeps a stale formatted label after a switch.
    key=f"costs-course-{state.lang()}",
)
course_id = choice or None

with session_scope() as session:
    tables = {
        by: cost_breakdown(session, by=by, course_id=course_id)
        for by in ("course", "job", "step", "prompt_version")
    }
total = total_cost(tables["step"])
cols = st.columns(4)
cols[0].metric(t("cost_usd"), f"${total.cost_usd:.4f}")
cols[1].metric(
    t("calls"),
    total.calls,
    delta=f"{total.failed_calls} {t('failed')}" if total.failed_calls else None,
    delta_color="inverse",
)
cols[2].metric(t("tokens_in_out"), f"{total.input_tokens:,} / {total.output_tokens:,}")
cols[3].metric(t("avg_latency"), f"{total.avg_latency_ms:.0f} ms")

if not total.calls:
    st.info(t("no_calls_yet"))
for tab, by in zip(st.tabs([label("by", by) for by in tables]), tables, strict=True):
    with tab:
        rows = [asdict(r) for r in tables[by]]
        st.dataframe(
            rows,
            hide_index=True,
            column_config={
                "key": label("by", by),
                "calls": t("calls"),
                "failed_calls": t("failed"),
                "input_tokens": t("input_tokens"),
                "cached_tokens": t("cached_tokens"),
                "output_tokens": t("output_tokens"),
                "cost_usd": st.column_config.NumberColumn(t("cost_usd"), format="$%.4f"),
                "avg_latency_ms": st.column_config.NumberColumn(t("avg_latency"), format="%.0f ms"),
            },
        )

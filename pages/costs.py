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
# A wrapping row: at 800 px the four figures go on two lines instead of being cut to "$0.0…".
with st.container(horizontal=True, gap="large"):
    st.metric(t("cost_usd"), f"${total.cost_usd:.4f}", width="content")
    st.metric(
        t("calls"),
        total.calls,
        delta=f"{total.failed_calls} {t('failed')}" if total.failed_calls else None,
        delta_color="inverse",
        width="content",
    )
    st.metric(t("tokens_in_out"), f"{total.input_tokens:,} / {total.output_tokens:,}", width="content")
    st.metric(t("avg_latency"), t("ms_value", ms=f"{total.avg_latency_ms:.0f}"), width="content")

if not total.calls:
    st.info(t("no_calls_yet"))
for tab, by in zip(st.tabs([label("by", by) for by in tables]), tables, strict=True):
    with tab:
        rows = [asdict(r) for r in tables[by]]
        st.dataframe(
            rows,
            hide_index=True,
            # Short headers and fixed widths: the table fits at 1440 px and scrolls at 800 px
            # with the name column still readable.
            column_config={
                "key": st.column_config.TextColumn(label("by", by), width="large"),
                "calls": st.column_config.NumberColumn(t("calls"), width="small"),
                "failed_calls": st.column_config.NumberColumn(t("failed"), width="small"),
                "input_tokens": st.column_config.NumberColumn(t("tokens_in_short"), width="small"),
                "cached_tokens": st.column_config.NumberColumn(t("tokens_cached_short"), width="small"),
                "output_tokens": st.column_config.NumberColumn(t("tokens_out_short"), width="small"),
                "cost_usd": st.column_config.NumberColumn("USD", format="$%.4f", width="small"),
                "avg_latency_ms": st.column_config.NumberColumn(
                    t("latency_ms_short"), format="%.0f", width="small"
                ),
            },
        )

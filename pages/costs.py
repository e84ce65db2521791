"""Costs: what generation cost, filtered and grouped the way an analyst asks, with unit
costs, waste, budgets and downloads. Filters live in the URL so a view can be shared."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.auth import Can
from core.db import session_scope
from core.services.cost_report import export_table
from core.services.costs import unknown_cost_calls
from ui import costs, prices, state
from ui.i18n import t
from ui.layout import header

header(":material/payments:", "nav_costs")
flt, by = costs.filters()
actor = state.actor()
data = costs.load(flt, by, actor)
tot, units = data["totals"], data["units"]

first, second = st.columns(3), st.columns(3)
first[0].metric(t("cost_usd"), f"${tot['cost_usd']:.4f}")
first[1].metric(
    t("calls"),
    costs.compact(tot["calls"]),
    delta=f"{tot['failed_calls']:,} {t('failed')}" if tot["failed_calls"] else None,
    delta_color="inverse",
)
first[2].metric(
    t("tokens_in_out"), f"{costs.compact(tot['input_tokens'])} / {costs.compact(tot['output_tokens'])}"
)
second[0].metric(
    t("cf_cache"), f"{units['cache_ratio']:.0%}", delta=f"${units['cache_saved_usd']:.4f} {t('cf_saved')}"
)
second[1].metric(
    t("cf_waste"), f"${units['waste_usd']:.4f}", delta=f"{units['waste_share']:.1%}", delta_color="off"
)
per_course = units["cost_per_course"]
second[2].metric(t("cf_per_course"), f"${per_course:.4f}" if per_course is not None else t("cf_not_measured"))

if not tot["calls"]:
    st.info(t("cf_no_calls"))
else:
    figure = costs.chart(data["rows"], by)
    if figure is not None:
        st.vega_lite_chart(figure, width="stretch")
    st.dataframe(data["rows"], hide_index=True, column_config=costs.column_config(by))
    name = "costs-" + "-".join(by)
    if actor.can(Can.export_costs):
        down = st.columns(2)
        # Files are made when clicked (a callable), not on every rerun of the page.
        down[0].download_button(
            t("cf_csv"),
            partial(export_table, data["rows"], fmt="csv", actor=actor),
            f"{name}.csv",
            "text/csv",
            icon=":material/download:",
        )
        down[1].download_button(
            t("cf_parquet"),
            partial(export_table, data["rows"], fmt="parquet", actor=actor),
            f"{name}.parquet",
            "application/octet-stream",
            icon=":material/download:",
        )

    units_tab, quality_tab, budgets_tab, top_tab, reprice_tab = st.tabs(
        [t("cf_units"), t("cf_quality"), t("cf_budgets"), t("cf_top"), t("cf_reprice")]
    )
    with units_tab:
        costs.unit_table(units)
    with quality_tab:
        costs.quality_table(data["quality"])
    with budgets_tab:
        costs.jobs_table(data["budgets"], empty=t("cf_no_budgets"))
    with top_tab:
        costs.jobs_table(data["top"], empty=t("cf_no_calls"))
    with reprice_tab:
        costs.reprice_tab(flt, by, actor, data["reprice"])

with session_scope(readonly=True) as session:
    unknown = unknown_cost_calls(session)
if unknown:
    st.warning(t("costs_unknown", n=len(unknown), usd=sum(u.estimated_cost_usd for u in unknown)))
    costs.unknown_table(unknown)
with st.expander(t("prices_title"), expanded=actor.can(Can.manage_prices)):
    prices.admin_forms(actor, prices.history_table())

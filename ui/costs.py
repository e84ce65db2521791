"""The Costs page's widgets: filters kept in the URL, cached figures, the chart."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Fully imported before any chart: Streamlit's chart and table code peeks at a pandas that
# another session's thread may still be importing ("partially initialized module 'pandas'",
# seen in chromium).
import pandas  # noqa: F401
import streamlit as st

from core.auth import Actor, Can, require
from core.db import id_of, session_scope
from core.errors import InvalidInput
from core.llm.pricing import admin_entries
from core.services import analytics
from core.services.analytics import DIMENSIONS, PRESETS, TIME_DIMENSIONS, CostFilter
from core.services.cost_report import report_rows, total_row
from core.services.costs import max_call_seconds
from core.services.courses import list_courses
from core.settings import get_settings
from ui import widgets
from ui.i18n import t
from ui.text import md_escape
from ui.validation import problem_text

# URL keys of the cost view; everything else in the URL (lang, course) is left alone.
URL_KEYS = ("preset", "group", "then", *(f.name for f in fields(CostFilter)))
PICKERS = (
    ("course_ids", "cf_course"),
    ("models", "cf_model"),
    ("prompt_versions", "cf_prompt_version"),
    ("steps", "cf_step"),
    ("job_kinds", "cf_job_kind"),
    ("users", "cf_user"),
    ("outcomes", "cf_outcome"),
    ("providers", "cf_provider"),
)


def _url_filter() -> tuple[str, CostFilter, list[str]]:
    params = {k: st.query_params.get(k, "") for k in URL_KEYS}
    preset = params.get("preset") or "30d"
    if preset not in PRESETS:
        preset = "30d"
    try:
        flt = CostFilter.from_query(params)
    except InvalidInput as exc:
        # issue-12: each problem in the interface language (the link's own text escaped).
        st.warning(t("cf_bad_link", problems=md_escape("; ".join(problem_text(e) for e in exc.errors))))
        flt = CostFilter()
    by = [d for d in (params.get("group") or "day", params.get("then") or "") if d in DIMENSIONS]
    return preset, flt, by or ["day"]


def filters() -> tuple[CostFilter, list[str]]:
    """Draw the filter bar; returns the filter and the groupings, mirrored into the URL."""
    preset, flt, by = _url_filter()
    with session_scope(readonly=True) as session:
        options = _options(str(get_settings().DATABASE_URL), analytics.data_version(session))
        courses = {id_of(c): c.title for c in list_courses(session, include_archived=True)}
    cols = st.columns([3, 2, 2])
    # Labels computed now, in this run's language: the widgets store values, never labels,
    # so a language switch keeps the view (ui/widgets.py).
    preset_labels = {p: t(f"cf_preset_{p}") for p in PRESETS}
    dim_labels = {d: t(f"cf_dim_{d}") for d in DIMENSIONS} | {"": t("cf_none")}
    preset = widgets.choice(
        cols[0].selectbox,
        t("cf_period"),
        PRESETS,
        index=PRESETS.index(preset),
        format_func=preset_labels.__getitem__,
        key="cf_preset",
    )
    if preset == "custom":
        dates = st.columns(2)
        start = dates[0].date_input(
            t("cf_from"), value=flt.start or date.today().replace(day=1), key="cf_from"
        )
        end = dates[1].date_input(t("cf_to"), value=flt.end or date.today(), key="cf_to")
    else:
        start, end = analytics.preset_range(preset)
        if start and end:
            cols[0].caption(t("cf_range", start=start.isoformat(), end=end.isoformat()))
    group = widgets.choice(
        cols[1].selectbox,
        t("cf_group"),
        DIMENSIONS,
        index=DIMENSIONS.index(by[0]),
        format_func=dim_labels.__getitem__,
        key="cf_group",
    )
    rest = ["", *[d for d in DIMENSIONS if d != group]]
    then = widgets.choice(
        cols[2].selectbox,
        t("cf_then"),
        rest,
        index=rest.index(by[1]) if len(by) > 1 and by[1] in rest else 0,
        format_func=dim_labels.__getitem__,
        key="cf_then",
    )
    chosen: dict[str, Any] = {}
    with st.expander(t("cf_more"), expanded=any(getattr(flt, name) for name, _ in PICKERS)):
        cols = st.columns(4)
        for i, (name, label) in enumerate(PICKERS):
            values = list(courses) if name == "course_ids" else options.get(name, [])
            current = [v for v in getattr(flt, name) if v in values]
            chosen[name] = tuple(
                cols[i % 4].multiselect(
                    t(label),
                    values,
                    default=current,
                    format_func=(lambda c: f"#{c} {courses.get(c, '')}") if name == "course_ids" else str,
                    key=f"cf_{name}",
                )
            )
    try:
        flt = replace(CostFilter(**chosen), start=start, end=end)
    except InvalidInput as exc:
        st.error(exc.errors[0]["message"])
        flt = CostFilter(**chosen)
    by = [group, then] if then else [group]
    _to_url(preset, flt, by)
    return flt, by


def _to_url(preset: str, flt: CostFilter, by: list[str]) -> None:
    wanted = {"preset": preset, "group": by[0], **({"then": by[1]} if len(by) > 1 else {})}
    query = flt.to_query()
    if preset != "custom":  # a preset link stays a preset: "last 7 days" moves with the calendar
        query.pop("start", None)
        query.pop("end", None)
    wanted.update(query)
    for key in URL_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


@st.cache_data(show_spinner=False, max_entries=8)
def _options(url: str, version: tuple[int, ...]) -> dict[str, list[str]]:
    with session_scope(url, readonly=True) as session:
        return analytics.filter_options(session)


@st.cache_data(show_spinner=False, max_entries=64)
def _figures(url: str, version: tuple[Any, ...], query: dict[str, str]) -> dict[str, Any]:
    """Every figure of a filter that does not depend on the grouping: switching the
    grouping reads only `_rows` again."""
    flt = CostFilter.from_query(query)
    with session_scope(url, readonly=True) as session:
        # Five scans of the view: each query serves every figure it can.
        model_days = analytics.model_day_tokens(session, flt)
        tot, units = analytics.overview(session, flt, model_days=model_days)
        top, budgets = analytics.top_and_budgeted(session, flt, limit=10, budget_limit=50)
        return {
            "totals": asdict(tot),
            "units": asdict(units),
            "top": [asdict(j) | {"budget_used": j.budget_used} for j in top],
            "budgets": [asdict(j) | {"budget_used": j.budget_used} for j in budgets],
            "reprice": [asdict(r) for r in analytics.reprice(session, flt, model_days=model_days)],
            "quality": [asdict(q) for q in analytics.prompt_quality(session, flt)],
        }


@st.cache_data(show_spinner=False, max_entries=64)
def _rows(
    url: str, version: tuple[Any, ...], query: dict[str, str], by: tuple[str, ...], _actor: Actor
) -> list[dict[str, Any]]:
    with session_scope(url, readonly=True) as session:
        return report_rows(session, CostFilter.from_query(query), by, actor=_actor, with_total=False)


def _version(url: str, flt: CostFilter) -> tuple[Any, ...]:
    """The cache key of a view's figures: what changes them. New calls only land on the
    current day, so a range that ended before the longest call can still be running is
    settled and stays cached (for the day: "today's prices" move at midnight); the admin
    prices count too (savings, reprice)."""
    prices = hash(admin_entries(url))
    now = datetime.now(UTC)
    settled_after = now - timedelta(seconds=max_call_seconds())
    if flt.end is not None and flt.end < settled_after.date() - timedelta(days=1):
        return ("settled", now.date().isoformat(), prices)
    with session_scope(readonly=True) as session:
        return (*analytics.data_version(session), prices)


def load(flt: CostFilter, by: list[str], actor: Actor) -> dict[str, Any]:
    """The view's figures, cached per filter (and its rows per grouping), invalidated by
    new calls (the actor's right to read costs is checked before any cache is asked)."""
    require(actor, Can.read_costs)
    url = str(get_settings().DATABASE_URL)
    with session_scope() as session:
        analytics.refresh_rollup(session)
    version = _version(url, flt)
    # Dates are part of the key even for presets, so "today" recomputes after midnight.
    query = flt.to_query()
    figures = _figures(url, version, query)
    tot = analytics.Metrics(**figures["totals"])
    rows = [*_rows(url, version, query, tuple(by), actor), total_row(by, tot)]
    return {**figures, "rows": rows}


@st.cache_data(show_spinner=False, max_entries=16)
def _repriced(url: str, version: tuple[int, ...], query: dict[str, str], on: date) -> list[dict[str, Any]]:
    with session_scope(url, readonly=True) as session:
        return [asdict(r) for r in analytics.reprice(session, CostFilter.from_query(query), on=on)]


def reprice_tab(flt: CostFilter, by: list[str], actor: Actor, today_rows: list[dict[str, Any]]) -> None:
    """Today's prices, or (when admins scheduled some) the prices of a day to come."""
    require(actor, Can.read_costs)
    today = datetime.now(UTC).date()
    url = str(get_settings().DATABASE_URL)
    admin = admin_entries(url)
    days = [today, *sorted({e.effective_date for e in admin if e.effective_date > today})]
    rows = today_rows
    if len(days) > 1:
        labels = {d: t("cf_reprice_today") if d == today else d.isoformat() for d in days}
        on = widgets.choice(
            st.selectbox, t("cf_reprice_on"), days, key="cf_reprice_on", format_func=labels.__getitem__
        )
        if on and on != today:
            with session_scope(readonly=True) as session:
                version = analytics.data_version(session)
            rows = _repriced(url, (*version, hash(admin)), flt.to_query(), on)
    reprice_table(rows)


def chart(rows: list[dict[str, Any]], by: list[str]) -> dict[str, Any] | None:
    """Stacked bars over time for a time grouping, else bars per group (largest first).

    A Vega-Lite spec written as a dict for st.vega_lite_chart: the same chart Altair would
    build, without Altair's schema validation of every data row (a tenth of a second per
    run on a year of days)."""
    data = [r for r in rows if r.get(by[0]) != "total"]
    if not data:
        return None
    first, second = by[0], (by[1] if len(by) > 1 else None)
    cost = {"field": "cost_usd", "aggregate": "sum", "type": "quantitative", "title": t("cost_usd")}
    if first in TIME_DIMENSIONS:
        group = {"field": first, "type": "ordinal", "title": t(f"cf_dim_{first}"), "sort": "ascending"}
        encoding: dict[str, Any] = {"x": group, "y": cost}
    else:
        group = {"field": first, "type": "nominal", "title": t(f"cf_dim_{first}"), "sort": "-x"}
        encoding = {"y": group, "x": cost}
    encoding["tooltip"] = [
        {"field": first, "type": "nominal", "title": t(f"cf_dim_{first}")},
        *([{"field": second, "type": "nominal", "title": t(f"cf_dim_{second}")}] if second else []),
        {"field": "cost_usd", "type": "quantitative", "format": "$.4f", "title": t("cost_usd")},
        {"field": "calls", "type": "quantitative", "title": t("calls")},
    ]
    if second:
        encoding["color"] = {"field": second, "type": "nominal", "title": t(f"cf_dim_{second}")}
    else:
        encoding["color"] = {"value": "#3366cc"}
    keep = {first, "cost_usd", "calls", *([second] if second else [])}
    return {
        "data": {"values": [{k: v for k, v in r.items() if k in keep} for r in data]},
        "mark": {"type": "bar"},
        "encoding": encoding,
        "height": 320,
    }


def _money(label: str) -> Any:
    return st.column_config.NumberColumn(label, format="$%.4f")


def column_config(by: list[str]) -> dict[str, Any]:
    return {
        **{d: t(f"cf_dim_{d}") for d in by},
        "calls": t("calls"),
        "failed_calls": t("cf_failed_calls"),
        "remediated_calls": t("cf_remediated"),
        "input_tokens": t("input_tokens"),
        "cached_tokens": t("cached_tokens"),
        "output_tokens": t("output_tokens"),
        "cost_usd": _money(t("cost_usd")),
        "waste_usd": _money(t("cf_waste")),
        "avg_latency_ms": st.column_config.NumberColumn(t("avg_latency"), format="%.0f ms"),
        "cache_ratio": st.column_config.NumberColumn(t("cf_cache"), format="percent"),
        "waste_share": st.column_config.NumberColumn(t("cf_waste_share"), format="percent"),
    }


def unit_table(units: dict[str, Any]) -> None:
    def money(value: float | None) -> str:
        return f"${value:.4f}" if value is not None else t("cf_not_measured")

    rows = [
        (t("cf_per_course"), money(units["cost_per_course"]), units["finished_courses"]),
        (t("cf_per_lesson"), money(units["cost_per_lesson"]), units["lessons_written"]),
        (t("cf_per_deck"), money(units["cost_per_deck"]), units["decks_made"]),
        (t("cf_per_minute"), money(units["cost_per_minute"]), units["course_minutes"]),
    ]
    st.dataframe(
        [{"unit": u, "cost": c, "count": n} for u, c, n in rows],
        hide_index=True,
        column_config={"unit": t("cf_unit"), "cost": t("cost_usd"), "count": t("cf_count")},
    )
    if units["waste_by_outcome"]:
        st.caption(t("cf_waste_by_outcome"))
        st.dataframe(
            [{"outcome": k, "cost_usd": v} for k, v in units["waste_by_outcome"].items()],
            hide_index=True,
            column_config={"outcome": t("cf_dim_outcome"), "cost_usd": _money(t("cost_usd"))},
        )


def jobs_table(jobs: list[dict[str, Any]], *, empty: str) -> None:
    if not jobs:
        st.caption(empty)
        return
    lang = st.session_state.get("ui.lang", "en")
    rows = [
        {
            "job": f"jobs?job={j['job_id']}&lang={lang}",
            "kind": j["kind"],
            "course": f"#{j['course_id']} {j['course_title']}" if j["course_id"] else "",
            "status": j["status"],
            "calls": j["calls"],
            "cost_usd": j["cost_usd"],
            "budget_usd": j["budget_usd"],
            "budget_used": j["budget_used"],
        }
        for j in jobs
    ]
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "job": st.column_config.LinkColumn(t("cf_job"), display_text=r"jobs\?job=(\d+)"),
            "kind": t("cf_dim_job_kind"),
            "course": t("cf_dim_course"),
            "status": t("cf_status"),
            "calls": t("calls"),
            "cost_usd": _money(t("cost_usd")),
            "budget_usd": _money(t("cf_budget")),
            "budget_used": st.column_config.ProgressColumn(
                t("cf_budget_used"), format="percent", min_value=0, max_value=1
            ),
        },
    )


def reprice_table(rows: list[dict[str, Any]]) -> None:
    st.caption(t("cf_reprice_help"))
    st.dataframe(
        [
            {
                "model": r["model"],
                "recorded_usd": r["recorded_usd"],
                "today_usd": r["today_usd"],
                "change": (r["today_usd"] - r["recorded_usd"]) if r["today_usd"] is not None else None,
            }
            for r in rows
        ],
        hide_index=True,
        column_config={
            "model": t("cf_dim_model"),
            "recorded_usd": _money(t("cf_recorded")),
            "today_usd": _money(t("cf_today")),
            "change": _money(t("cf_change")),
        },
    )


def compact(number: float) -> str:
    """12,345 -> 12.3k: figures that fit a metric tile on a narrow screen."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}{suffix}"
    return f"{number:,.0f}"


def quality_table(rows: list[dict[str, Any]]) -> None:
    st.caption(t("cf_quality_help"))
    st.dataframe(
        [
            {
                "prompt_version": r["prompt_version"],
                "calls": r["calls"],
                "cost_usd": r["cost_usd"],
                "cost_per_call": r["cost_per_call"],
                "tokens_per_call": r["tokens_per_call"],
                **{k: r["scores"].get(k) for k in analytics.QUALITY_SCORES},
                "eval_provider": r["eval_provider"] or t("cf_not_measured"),
            }
            for r in rows
        ],
        hide_index=True,
        column_config={
            "prompt_version": t("cf_dim_prompt_version"),
            "calls": t("calls"),
            "cost_usd": _money(t("cost_usd")),
            "cost_per_call": _money(t("cf_per_call")),
            "tokens_per_call": st.column_config.NumberColumn(t("cf_tokens_per_call"), format="%.0f"),
            **{
                k: st.column_config.NumberColumn(t(f"cf_score_{k}"), format="%.3f")
                for k in analytics.QUALITY_SCORES
            },
            "eval_provider": t("cf_eval_provider"),
        },
    )


def unknown_table(unknown: list[Any]) -> None:
    st.dataframe(
        [
            {
                "id": u.id,
                "job": f"#{u.job_id}" if u.job_id else "—",
                "step": u.step,
                "model": u.model,
                "status": t("costs_unknown_status"),
                "estimated": u.estimated_cost_usd,
                "started": u.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            }
            for u in unknown
        ],
        hide_index=True,
        column_config={
            "id": "#",
            "job": t("cf_job"),
            "step": t("cf_dim_step"),
            "model": t("cf_dim_model"),
            "status": t("cf_status"),
            "estimated": _money(t("col_estimated")),
            "started": t("col_started"),
        },
    )

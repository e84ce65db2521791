"""The Costs page's price table: every price with its day and status, and for admins a
form to schedule a new price or withdraw a scheduled one (rules: core/services/prices.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from core.auth import Actor, Can
from core.db import session_scope
from core.errors import AppError, InvalidInput
from core.services import prices as svc
from ui import widgets
from ui.i18n import t
from ui.text import md_escape
from ui.validation import labelled, phrase

# The service's own rules -> our phrases (pydantic's types go through ui/validation.py).
_OWN = {
    "price_not_ahead": "price_not_ahead",
    "price_too_far": "price_too_far",
    "price_cached_above": "price_cached_above",
    "price_day_taken": "price_day_taken",
    "price_in_effect": "price_in_effect",
    "string_pattern_mismatch": "price_bad_model",
    "finite_number": "price_not_finite",
}
_FIELDS = {
    "model": "price_model",
    "input": "price_input",
    "cached_input": "price_cached",
    "output": "price_output",
    "effective_from": "price_from",
    "note": "price_note",
}


def _said(problem: Mapping[str, Any]) -> str:
    key = _OWN.get(str(problem.get("type") or ""))
    if key:
        return t(key, **dict(problem.get("ctx") or {}))
    return phrase(problem)


def problems(exc: AppError) -> list[str]:
    """Each problem in the interface language, with the form field's label."""
    if isinstance(exc, InvalidInput):
        out = []
        for p in exc.errors:
            field = str(p.get("field") or "")
            key = _FIELDS.get(field)
            label = t(key) if key else field
            out.append(labelled({**p, "type": "", "message": _said(p)}, label))
        return out
    details = dict(exc.details) if isinstance(exc.details, dict) else {}
    own = _OWN.get(str(details.pop("type", "")))
    if own:
        return [t(own, **details)]
    return [exc.message]


def _refused(exc: AppError) -> None:
    st.error(t("price_not_saved") + "\n\n" + "\n".join(f"- {md_escape(p)}" for p in problems(exc)))


def history_table() -> list[svc.PriceRow]:
    with session_scope(readonly=True) as session:
        rows = svc.price_history(session)
    st.dataframe(
        [
            {
                "model": r.model,
                "input": r.input,
                "cached_input": r.cached_input,
                "output": r.output,
                "since": r.effective_from.isoformat(),
                "status": t(f"price_status_{r.status}"),
                "source": t("price_source_admin", who=r.created_by)
                if r.source == "admin"
                else t("price_source_file"),
                "note": r.note,
            }
            for r in rows
        ],
        hide_index=True,
        column_config={
            "model": t("cf_dim_model"),
            "input": st.column_config.NumberColumn(t("col_price_input"), format="$%.3f"),
            "cached_input": st.column_config.NumberColumn(t("col_price_cached"), format="$%.3f"),
            "output": st.column_config.NumberColumn(t("col_price_output"), format="$%.3f"),
            "since": t("col_price_since"),
            "status": t("col_price_status"),
            "source": t("col_price_source"),
            "note": t("col_price_note"),
        },
    )
    return rows


def admin_forms(actor: Actor, rows: list[svc.PriceRow]) -> None:
    """Schedule or withdraw a price; the service checks the role again."""
    if not actor.can(Can.manage_prices):
        st.caption(t("price_admin_only"))
        return
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    st.markdown(f"**{t('price_form_title')}**")
    st.caption(t("price_form_help"))
    with st.form("price-form"):
        cols = st.columns([3, 2])
        model = cols[0].text_input(t("price_model"), key="price_model", max_chars=100)
        day = cols[1].date_input(t("price_from"), value=tomorrow, key="price_from")
        money = st.columns(3)
        usd = {
            name: money[i].number_input(
                t(label), min_value=0.0, value=0.0, step=0.01, format="%.4f", key=f"price_{name}"
            )
            for i, (name, label) in enumerate(
                [("input", "price_input"), ("cached_input", "price_cached"), ("output", "price_output")]
            )
        }
        note = st.text_input(t("price_note"), key="price_note", max_chars=200)
        if st.form_submit_button(t("price_save"), icon=":material/save:"):
            try:
                with session_scope() as session:
                    saved = svc.set_price(
                        session,
                        {"model": model, **usd, "effective_from": day, "note": note},
                        actor=actor,
                    )
                st.session_state["price.flash"] = t(
                    "price_saved", model=saved.model, day=saved.effective_from.isoformat()
                )
                st.rerun()
            except AppError as exc:
                _refused(exc)
    flash = st.session_state.pop("price.flash", None)
    if flash:
        st.success(flash)
    scheduled = [r for r in rows if r.source == "admin" and r.status == "scheduled" and r.admin_id]
    st.markdown(f"**{t('price_withdraw_title')}**")
    if not scheduled:
        st.caption(t("price_none_scheduled"))
        return
    labels = {int(r.admin_id or 0): f"{r.model} · {r.effective_from.isoformat()}" for r in scheduled}
    picked = widgets.choice(
        st.selectbox,
        t("price_withdraw_pick"),
        list(labels),
        key="price_withdraw",
        format_func=lambda i: labels.get(i, str(i)),
    )
    if picked is not None and st.button(t("price_withdraw"), key="price_withdraw_btn"):
        try:
            with session_scope() as session:
                svc.withdraw_price(session, int(picked), actor=actor)
            st.session_state["price.flash"] = t("price_withdrawn", what=labels[int(picked)])
            st.rerun()
        except AppError as exc:
            _refused(exc)

"""Users (admins): who may sign in, their roles and spending caps, and what was spent."""

from __future__ import annotations

import streamlit as st

from core.auth import Role
from core.db import read_session, session_scope
from core.errors import AppError, Code
from core.services import users as svc
from core.spending import spending_status
from ui import state
from ui.i18n import t
from ui.layout import header, show_error

header(":material/group:", "nav_users")
actor = state.actor()
ROLES = [r.value for r in Role]


def role_label(value: str) -> str:
    return t(f"role_{value}")


def cap(raw: str, field: str) -> float | None:
    """An empty box clears the cap; anything else must be a positive number."""
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise AppError(Code.VALIDATION, t("users_bad_cap", field=field)) from None


with read_session() as session:
    people = svc.list_users(session, actor=actor)
    team = spending_status(session, email=None)
    rows = [
        {
            t("users_email"): u.email,
            t("users_name"): u.name,
            t("users_role"): role_label(u.role),
            t("users_active"): u.active,
            t("users_daily_cap"): u.daily_cap_usd,
            t("users_monthly_cap"): u.monthly_cap_usd,
            t("users_created"): u.created_at.strftime("%Y-%m-%d"),
        }
        for u in people
    ]

st.subheader(t("users_list"))
st.dataframe(rows, hide_index=True)

with st.expander(t("users_add")), st.form("users-add", clear_on_submit=True):
    email = st.text_input(t("users_email"), key="users-add-email")
    name = st.text_input(t("users_name"), key="users-add-name")
    role = st.selectbox(t("users_role"), ROLES, format_func=role_label, key="users-add-role")
    if st.form_submit_button(t("users_add_btn")):
        try:
            with session_scope() as session:
                added = svc.add_user(session, actor=actor, email=email, role=role, name=name)
            st.toast(t("users_added", email=added.email))
            st.rerun()
        except AppError as exc:
            show_error(exc)

if people:
    st.subheader(t("users_edit"))
    emails = [u.email for u in people]
    picked = st.selectbox(t("users_pick"), emails, key="users-pick")
    user = next(u for u in people if u.email == picked)
    with st.form(f"users-edit-{user.email}"):
        new_role = st.selectbox(
            t("users_role"),
            ROLES,
            index=ROLES.index(user.role),
            format_func=role_label,
            key=f"ue-role-{user.id}",
        )
        active = st.toggle(t("users_active"), value=user.active, key=f"ue-active-{user.id}")
        daily = st.text_input(
            t("users_daily_cap"), value=str(user.daily_cap_usd or ""), key=f"ue-day-{user.id}"
        )
        monthly = st.text_input(
            t("users_monthly_cap"), value=str(user.monthly_cap_usd or ""), key=f"ue-month-{user.id}"
        )
        if st.form_submit_button(t("users_save")):
            try:
                caps = (cap(daily, t("users_daily_cap")), cap(monthly, t("users_monthly_cap")))
                with session_scope() as session:
                    svc.update_user(session, actor=actor, email=user.email, role=new_role, active=active)
                    svc.set_caps(
                        session, actor=actor, email=user.email, daily_cap_usd=caps[0], monthly_cap_usd=caps[1]
                    )
                st.toast(t("users_saved", email=user.email))
                st.rerun()
            except AppError as exc:
                show_error(exc)
    with read_session() as session:
        mine = spending_status(session, email=user.email)
else:
    mine = []

st.subheader(t("spend_title"))
st.dataframe(
    [
        {
            t("spend_scope"): picked if s.scope == "user" else t("spend_team"),
            t("spend_period"): t(f"spend_{s.period}"),
            t("spend_spent"): f"${s.spent_usd:.4f}",
            t("spend_cap"): f"${s.cap_usd:.2f}" if s.cap_usd is not None else t("spend_no_cap"),
        }
        for s in [*mine, *team]
    ],
    hide_index=True,
)

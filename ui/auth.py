"""Sign-in glue: Streamlit's OIDC login when [auth] is configured, else the local mode.

Who may sign in and with which role is decided in core (core.services.users); this only
asks Streamlit who the browser is and keeps the resulting Actor in the session.
"""

from __future__ import annotations

import streamlit as st

from core.auth import Actor, local_actor
from core.db import session_scope
from core.errors import AppError
from core.services.users import sign_in
from core.settings import get_settings
from ui import state
from ui.i18n import t
from ui.text import md_escape


def auth_configured() -> bool:
    """True when .streamlit/secrets.toml (or a configured secrets file) has [auth]."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises StreamlitSecretNotFoundError
        return False


def _login_screen() -> None:
    st.title(f"🎓 {t('signin_title')}")
    st.write(t("signin_text"))
    st.button(t("signin_button"), type="primary", on_click=st.login, key="auth-login")


def _prod_needs_auth() -> None:
    st.error(t("prod_needs_auth"))


def _refused(exc: AppError) -> None:
    st.error(t("not_allowed", msg=md_escape(exc.message)))
    st.button(t("signout_button"), on_click=st.logout, key="auth-logout-refused")


def gate() -> Actor:
    """The acting user of this run; draws the sign-in screen and stops when nobody is."""
    if not auth_configured():
        if get_settings().APP_ENV == "prod":
            # A deployed app without sign-in would make everyone who reaches it an admin.
            st.navigation(
                [st.Page(_prod_needs_auth, title=t("signin_button"), url_path="signin")], position="hidden"
            ).run()
            st.stop()
        actor = local_actor(get_settings().LOCAL_USER)
        st.session_state[state.ACTOR] = actor
        return actor
    if not st.user.is_logged_in:
        st.session_state.pop(state.ACTOR, None)
        # The sign-in screen as the only page: without a navigation call Streamlit lists
        # every file under pages/ in the sidebar.
        st.navigation(
            [st.Page(_login_screen, title=t("signin_button"), url_path="signin")], position="hidden"
        ).run()
        st.stop()
    email = str(st.user.get("email") or "")
    name = str(st.user.get("name") or "")
    refusal: AppError | None = None
    try:
        # Read every run: a role change or deactivation by an admin applies at once.
        with session_scope() as session:
            actor = sign_in(session, email=email, name=name)
    except AppError as exc:
        refusal = exc
    if refusal is not None:
        st.session_state.pop(state.ACTOR, None)
        reason = refusal

        def refused_page() -> None:
            _refused(reason)

        st.navigation(
            [st.Page(refused_page, title=t("signin_button"), url_path="refused")], position="hidden"
        ).run()
        st.stop()
    st.session_state[state.ACTOR] = actor
    return actor


def local_banner() -> None:
    if not auth_configured():
        st.warning(t("local_banner", user=get_settings().LOCAL_USER), icon=":material/person:")


def sidebar_user(actor: Actor) -> None:
    if auth_configured():
        st.caption(t("signed_in_as", email=md_escape(actor.email), role=t(f"role_{actor.role.value}")))
        st.button(t("signout_button"), on_click=st.logout, key="auth-logout")
    else:
        st.caption(t("signed_in_as", email=md_escape(actor.email), role=t(f"role_{actor.role.value}")))

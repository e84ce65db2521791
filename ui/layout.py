"""Page chrome shared by every screen: the offline banner, the sidebar, course loading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.auth import page_allowed
from core.db import session_scope
from core.errors import AppError
from core.services.courses import CourseDoc, get_course, load_course
from core.settings import get_settings
from ui import state
from ui.auth import local_banner, sidebar_user
from ui.editor import flush_all
from ui.i18n import STEPS, t
from ui.text import md_escape

STEP_ORDER = ("parameters", "structure", "lessons", "slides", "export")


def offline_banner() -> None:
    if get_settings().provider_name == "offline":
        st.info(t("offline_banner"), icon=":material/cloud_off:")


def _through_app() -> None:
    """The first request after a server start that names a page URL makes Streamlit run
    that `pages/` script on its own (its old multipage mode), skipping app.py: no
    migrations, navigation or sidebar. Turn that mode off and run again through app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not st.session_state.get(state.APP_RAN):
        PagesManager.uses_pages_directory = False
        st.rerun()


def header(icon: str, key: str) -> None:
    """Page title plus the offline banner, after saving any pending editor text.

    app.py does both for every page too; pages repeat them because AppTest (1.67) reruns a
    switched-to page's script without app.py, and the flush is idempotent."""
    _through_app()
    flush_all()
    st.title(f"{icon} {t(key)}")
    local_banner()
    offline_banner()
    actor = state.actor()
    if not page_allowed(actor, key.removeprefix("nav_")):  # issue 9: a page reached by URL
        st.error(t("not_allowed", msg=f"{md_escape(actor.email)} ({t('role_' + actor.role.value)})"))
        st.stop()


def sidebar() -> None:
    with st.sidebar:
        st.segmented_control(
            t("language"),
            options=list(state.LANGUAGES),
            format_func=lambda code: {"en": "English", "ru": "Русский"}[code],
            key=state.LANG,
            required=True,
        )
        course_id = state.course_id()
        if course_id is None:
            st.caption(t("no_course"))
        else:
            try:
                with session_scope() as session:
                    course = get_course(session, course_id)
            except AppError:
                state.set_course(None)
                st.caption(t("no_course"))
            else:
                st.markdown(f"**{t('current_course')}**")
                st.text(course.title)
                step = course.step if course.step in STEP_ORDER else "parameters"
                st.progress(
                    (STEP_ORDER.index(step) + 1) / len(STEP_ORDER),
                    text=t("step_is", step=STEPS[state.lang()][step]),
                )
        sidebar_user(state.actor())
        st.toggle(t("plain_editor"), key=state.PLAIN_EDITOR, help=t("plain_editor_help"))


def require_course() -> CourseDoc:
    """The current course's tree, or a pointer to the Courses page and a stop."""
    course_id = state.course_id()
    if course_id is not None:
        try:
            with session_scope() as session:
                return load_course(session, course_id)
        except AppError:
            state.set_course(None)
    st.info(t("pick_course_first"))
    st.page_link("pages/courses.py", label=t("nav_courses"), icon="📚")
    st.stop()
    raise RuntimeError("unreachable")  # st.stop() raises; this keeps type checkers honest


def show_error(exc: AppError) -> None:
    """An AppError as a readable message, with field problems listed, never raw JSON."""
    st.error(f"{md_escape(exc.message)} ({exc.code})")
    for problem in getattr(exc, "errors", None) or []:
        st.caption(f"• {md_escape(problem.get('field') or '—')}: {md_escape(problem.get('message') or '')}")


def started(fn: Callable[..., Any], /, **kwargs: Any) -> bool:
    """Start a job; a refusal (role, spending cap, ...) is shown here, not raised (issue 9)."""
    try:
        fn(**kwargs)
    except AppError as exc:
        show_error(exc)
        return False
    return True

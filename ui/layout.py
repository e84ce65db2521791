"""Page chrome shared by every screen: the offline banner, the sidebar, course loading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.auth import page_allowed
from core.db import id_of, read_session, session_scope
from core.errors import AppError
from core.jobs import latest_job
from core.models import Job
from core.services.courses import CourseDoc, get_course
from core.settings import get_settings
from ui import state
from ui.auth import local_banner, sidebar_user
from ui.data import course_doc
from ui.editor import flush_all
from ui.i18n import STEPS, t
from ui.jobtext import show_app_error
from ui.limits import range_guard
from ui.text import md_escape
from ui.validation import problem_text

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
    uploader_texts()
    range_guard()  # issue-12: number limits said in our words, Streamlit's typing hints translated


def _css_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def uploader_texts() -> None:
    """Streamlit draws the file uploader's own button and size limit in English only; in
    another language our texts replace them (static CSS built from our catalog, never from
    user input). In English Streamlit's own texts stay. The replaced button text is hidden
    visually, not removed, so the button keeps an accessible name (axe button-name); that
    name stays Streamlit's English until Streamlit translates its uploader."""
    if state.lang() == "en":
        return
    limit_mb = int(st.get_option("server.maxUploadSize"))
    button = _css_text(t("uploader_button"))
    limit = _css_text(t("uploader_limit", mb=limit_mb))
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p '
        "{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }"
        f'[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{ content: "{button}"; }}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }'
        f'[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ content: "{limit}"; font-size: 0.875rem; opacity: 0.7; }}'
        "</style>"
    )


def sidebar() -> None:
    with st.sidebar:
        state.language_picker(t("language"))
        course_id = state.course_id()
        if course_id is None:
            st.caption(t("no_course"))
        else:
            try:
                with read_session() as session:
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
        state.mirrored(st.toggle, t("plain_editor"), state.PLAIN_EDITOR, help=t("plain_editor_help"))


def course_and_job(kinds: tuple[str, ...]) -> tuple[CourseDoc, Job | None]:
    """The course's latest job of these kinds, then the course tree, in that order: a job
    that finished before the job was read has its results in the tree read after it, so a
    page never shows a finished job next to "not written" (the job panel only reruns the
    page for jobs it saw running)."""
    course_id = state.course_id()
    job = None
    if course_id is not None:
        with session_scope(readonly=True) as session:
            job = latest_job(session, course_id=course_id, kinds=kinds)
    return require_course(), job


def require_course() -> CourseDoc:
    """The current course's tree, or a pointer to the Courses page and a stop."""
    course_id = state.course_id()
    if course_id is not None:
        try:
            return course_doc(course_id)  # issue 18: cached until the next write
        except AppError:
            state.set_course(None)
    st.info(t("pick_course_first"))
    state.link("pages/courses.py", label=t("nav_courses"), icon="📚")
    st.stop()
    raise RuntimeError("unreachable")  # st.stop() raises; this keeps type checkers honest


def show_error(exc: AppError) -> None:
    """An AppError in the person's language with what to do next; field problems listed in
    our own words; the code and the raw details behind an expander, never raw JSON."""
    problems = getattr(exc, "errors", None) or []
    show_app_error(exc.code, [f"{p.get('field')}: {p.get('message')}" for p in problems] or exc.message)
    for problem in problems:
        st.caption("• " + md_escape(problem_text(problem)))


def started(fn: Callable[..., Job], /, *, remember: str | None = None, **kwargs: Any) -> Job | None:
    """Start a job; a refusal (role, spending cap, ...) is shown here, not raised (issue 9).

    Returns the job, or None when it was refused. `remember`: the session-state key the
    job's id is kept under, for the page's progress panel to follow after a rerun.
    """
    try:
        job = fn(**kwargs)
    except AppError as exc:
        show_error(exc)
        return None
    if remember is not None:
        st.session_state[remember] = id_of(job)
    return job

"""Session-state keys and the few values every page reads (course, language, author).

The current course and language are mirrored into the URL so a browser reload lands on
the same course in the same language.
"""

from __future__ import annotations

import streamlit as st

from core.auth import Actor

LANG = "ui.lang"
COURSE = "ui.course_id"
AUTHOR = "ui.author"
ACTOR = "ui.actor"  # issue 9: the signed-in (or local) user, a core.auth.Actor
PLAIN_EDITOR = "ui.plain_editor"
APP_RAN = "ui.app_ran"  # app.py ran in this session (migrations, navigation, sidebar)
LANGUAGES = ("en", "ru")


def init_from_url() -> None:
    params = st.query_params
    if LANG not in st.session_state:
        lang = params.get("lang", "en")
        st.session_state[LANG] = lang if lang in LANGUAGES else "en"
    if COURSE not in st.session_state:
        raw = params.get("course", "")
        st.session_state[COURSE] = int(raw) if raw.isdigit() else None
    st.session_state.setdefault(PLAIN_EDITOR, False)


def sync_url() -> None:
    # Page switches through st.navigation drop query parameters; put ours back each run.
    # Other keys (a page's own view, e.g. the Costs filters) are left as they are.
    wanted = {"lang": st.session_state[LANG]}
    if st.session_state.get(COURSE):
        wanted["course"] = str(st.session_state[COURSE])
    elif "course" in st.query_params:
        del st.query_params["course"]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def lang() -> str:
    return str(st.session_state.get(LANG, "en"))


def course_id() -> int | None:
    value = st.session_state.get(COURSE)
    return int(value) if value else None


def set_course(course_id: int | None) -> None:
    st.session_state[COURSE] = course_id


def actor() -> Actor:
    """Who acts in this session: set by ui.auth.gate() in app.py. A page run on its own
    (AppTest) goes through the same gate."""
    value = st.session_state.get(ACTOR)
    if isinstance(value, Actor):
        return value
    from ui.auth import gate

    return gate()


def author() -> str:
    # Kept for callers that only need the name to record: the actor's address.
    return actor().label

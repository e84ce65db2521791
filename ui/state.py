"""Session-state keys and the few values every page reads (course, language, author).

The current course and language are mirrored into the URL so a reload or a bookmark lands
on the same course in the same language. The language lives in a plain state key, never
in a widget's key: Streamlit drops a widget's state when a run ends without drawing it
(st.switch_page does that), and the URL it falls back to had lost `lang` on the switch.
Every page switch therefore goes through `switch()`/`link()`, which carry the parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from core.auth import Actor

LANG = "ui.lang"
LANG_WIDGET = "ui.lang.widget"
COURSE = "ui.course_id"
AUTHOR = "ui.author"
ACTOR = "ui.actor"  # issue 9: the signed-in (or local) user, a core.auth.Actor
PLAIN_EDITOR = "ui.plain_editor"
CURRENT_PAGE = "ui.current_page"  # the script app.py's navigation runs (set_current_page)
APP_RAN = "ui.app_ran"  # app.py ran in this session (migrations, navigation, sidebar)
LANGUAGES = ("en", "ru")


def init_from_url() -> None:
    params = st.query_params
    url_lang = params.get("lang", "")
    if LANG not in st.session_state:
        st.session_state[LANG] = url_lang if url_lang in LANGUAGES else "en"
    if COURSE not in st.session_state:
        raw = params.get("course", "")
        st.session_state[COURSE] = int(raw) if raw.isdigit() else None
    st.session_state.setdefault(PLAIN_EDITOR, False)


def url_params() -> dict[str, str]:
    wanted = {"lang": lang()}
    if st.session_state.get(COURSE):
        wanted["course"] = str(st.session_state[COURSE])
    return wanted


def sync_url() -> None:
    # Page switches through st.navigation drop query parameters; put ours back each run.
    # Other keys (a page's own view, e.g. the Costs filters) are left as they are.
    wanted = url_params()
    if "course" not in wanted and "course" in st.query_params:
        del st.query_params["course"]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def set_current_page(script: object) -> None:
    """app.py records the page it runs, so a switch to that same page keeps its own keys."""
    st.session_state[CURRENT_PAGE] = str(script) if script is not None else None


def _params_for(page: str) -> dict[str, str]:
    # Another page starts from lang/course only; the same page keeps its own query keys
    # (the Costs filters live in the URL) with lang/course brought up to date.
    current = st.session_state.get(CURRENT_PAGE)
    if current and Path(current).as_posix().endswith(Path(page).as_posix()):
        return {**{k: st.query_params[k] for k in st.query_params}, **url_params()}
    return url_params()


def switch(page: str) -> None:
    """st.switch_page that keeps the language and the course in the URL."""
    st.switch_page(page, query_params=_params_for(page))


def link(page: str, **kwargs: Any) -> None:
    """st.page_link that keeps the language and the course in the URL."""
    st.page_link(page, query_params=_params_for(page), **kwargs)


def set_lang(value: str) -> None:
    if value in LANGUAGES:
        st.session_state[LANG] = value


def _lang_changed() -> None:
    set_lang(str(st.session_state.get(LANG_WIDGET) or lang()))


def language_picker(label: str) -> None:
    """The sidebar's language switch; the widget mirrors LANG and writes back on change."""
    st.session_state[LANG_WIDGET] = lang()
    st.segmented_control(
        label,
        options=list(LANGUAGES),
        format_func=lambda code: {"en": "English", "ru": "Русский"}[code],
        key=LANG_WIDGET,
        required=True,
        on_change=_lang_changed,
    )


def _copy_back(store: str) -> None:
    st.session_state[store] = st.session_state.get(store + ".widget")


def mirrored(widget: Any, label: str, store: str, **kwargs: Any) -> Any:
    """A sidebar widget whose value lives in `store` (a plain key that no run forgets)."""
    st.session_state[store + ".widget"] = st.session_state.get(store)
    return widget(label, key=store + ".widget", on_change=_copy_back, args=(store,), **kwargs)


def lang() -> str:
    value = str(st.session_state.get(LANG, "en"))
    return value if value in LANGUAGES else "en"


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

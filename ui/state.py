"""Session-state keys and the few values every page reads (course, language, author).

The current course and language are mirrored into the URL so a reload or a bookmark lands
on the same course in the same language. The language lives in a plain state key, never
in a widget's key: Streamlit drops a widget's state when a run ends without drawing it
(st.switch_page does that), and the URL it falls back to had lost `lang` on the switch.
Every page switch therefore goes through `switch()`/`link()`, which carry the parameters.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

LANG = "ui.lang"
LANG_WIDGET = "ui.lang.widget"
COURSE = "ui.course_id"
AUTHOR = "ui.author"
PLAIN_EDITOR = "ui.plain_editor"
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
    st.session_state.setdefault(AUTHOR, "editor")
    st.session_state.setdefault(PLAIN_EDITOR, False)


def url_params() -> dict[str, str]:
    wanted = {"lang": lang()}
    if st.session_state.get(COURSE):
        wanted["course"] = str(st.session_state[COURSE])
    return wanted


def sync_url() -> None:
    # Sidebar navigation drops query parameters; put them back each run.
    wanted = url_params()
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def switch(page: str) -> None:
    """st.switch_page that keeps the language and the course in the URL."""
    st.switch_page(page, query_params=url_params())


def link(page: str, **kwargs: Any) -> None:
    """st.page_link that keeps the language and the course in the URL."""
    st.page_link(page, query_params=url_params(), **kwargs)


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


def author() -> str:
    return str(st.session_state.get(AUTHOR) or "editor").strip()[:120] or "editor"

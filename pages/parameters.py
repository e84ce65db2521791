"""Parameters: a form validated by CourseParams; nothing is saved until it is valid. A
valid form shows what generating the course would cost, and takes an optional budget."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.db import session_scope
from core.errors import InvalidInput
from core.schemas import CourseParams, Language, Level, Tone
from core.services.courses import create_course, get_course, update_params, validate_params
from core.services.generation import start_outline
from ui import state
from ui.estimate import budget_input, estimate_panel, move_budget
from ui.i18n import t
from ui.layout import header, md_escape, started

FIELDS = tuple(CourseParams.model_fields)
ERRORS = "parameters.errors"
K = "parameters.{}".format


def _submit() -> None:
    # A callback runs before the rerun, so errors are known when the fields are drawn.
    data = {name: st.session_state[K(name)] for name in FIELDS}
    try:
        params = validate_params(data)
    except InvalidInput as exc:
        errors: dict[str, list[str]] = {}
        for e in exc.errors:
            field = e["field"] if e["field"] in FIELDS else "total_duration_minutes"
            errors.setdefault(field, []).append(e["message"])
        st.session_state[ERRORS] = errors
        return
    st.session_state[ERRORS] = {}
    with session_scope() as session:
        if state.course_id() is None:
            state.set_course(int(create_course(session, actor=state.actor(), params=params).id or 0))
            move_budget(None, int(state.course_id() or 0))
        else:
            update_params(session, actor=state.actor(), course_id=state.course_id(), params=params)
    st.session_state["parameters.start"] = bool(st.session_state.get(K("propose")))


def _valid_params() -> CourseParams | None:
    if st.session_state.get(ERRORS):
        return None
    try:
        return validate_params({name: st.session_state.get(K(name)) for name in FIELDS})
    except InvalidInput:
        return None


def _field(name: str, widget: Any, *args: Any, **kwargs: Any) -> None:
    widget(t("param_" + name), *args, key=K(name), **kwargs)
    for message in st.session_state.get(ERRORS, {}).get(name, []):
        st.markdown(f":red[⚠ {md_escape(message)}]")


header(":material/tune:", "nav_parameters")
current: dict[str, Any] = CourseParams(topic="xxx").model_dump(mode="json") | {"topic": ""}
if state.course_id() is not None:
    with session_scope() as session:
        current = dict(get_course(session, state.course_id()).params)
if st.session_state.get("parameters.loaded", "never") != state.course_id():
    for name in FIELDS:
        st.session_state[K(name)] = current.get(name)
    st.session_state["parameters.loaded"] = state.course_id()
    st.session_state[ERRORS] = {}

with st.form("parameters-form"):
    _field("topic", st.text_input, placeholder=t("topic_hint"))
    _field("audience", st.text_input)
    a, b, c = st.columns(3)
    with a:
        _field("level", st.selectbox, [x.value for x in Level], format_func=lambda v: t("level_" + v))
        _field("language", st.selectbox, [x.value for x in Language], format_func=lambda v: v.upper())
    with b:
        _field("total_duration_minutes", st.number_input, min_value=1, max_value=10000, step=15)
        _field("tone", st.selectbox, [x.value for x in Tone], format_func=lambda v: t("tone_" + v))
    with c:
        _field("module_count", st.number_input, min_value=1, max_value=50)
        _field("lessons_per_module", st.number_input, min_value=1, max_value=50)
    _field("constraints", st.text_area, placeholder=t("constraints_hint"))
    st.checkbox(t("propose_after_save"), value=True, key=K("propose"))
    st.form_submit_button(t("save_parameters"), type="primary", on_click=_submit)

if st.session_state.get(ERRORS):
    st.error(t("fix_fields"))
if st.session_state.pop("parameters.start", False) and state.course_id() is not None:
    if not started(start_outline, actor=state.actor(), course_id=state.course_id()):
        st.stop()
    st.switch_page("pages/structure.py")
if (valid := _valid_params()) is not None:
    with st.container(border=True):
        estimate_panel(valid)
        budget_input(state.course_id(), key="parameters")
if state.course_id() is not None and not st.session_state.get(ERRORS):
    st.page_link("pages/structure.py", label=t("next_structure"), icon=":material/arrow_forward:")

"""Parameters: a form validated by CourseParams; nothing is saved until it is valid. A
valid form shows what generating the course would cost, and takes an optional budget."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from core.db import id_of, read_session, session_scope
from core.errors import InvalidInput
from core.schemas import MAX_LESSON_MINUTES, CourseParams, Language, Level, Tone
from core.services.courses import create_course, get_course, update_params, validate_params
from core.services.generation import start_outline
from ui import state, widgets
from ui.estimate import budget_input, estimate_panel, move_budget
from ui.i18n import label, t
from ui.layout import header, md_escape, started
from ui.limits import GUARD_PREFIX, bounds, max_chars
from ui.validation import labelled, limits

FIELDS = tuple(CourseParams.model_fields)
CHOICES = {"level": Level, "language": Language, "tone": Tone}  # stored as values, shown translated
ERRORS = "parameters.errors"
K = "parameters.{}".format


def _form_value(name: str) -> Any:
    if name in CHOICES:
        return st.session_state.get(widgets.widget_key(K(name)), widgets.get_value(K(name)))
    return st.session_state.get(K(name))


def _submit() -> None:
    # A callback runs before the rerun, so errors are known when the fields are drawn.
    data = {name: _form_value(name) for name in FIELDS}
    for name in CHOICES:
        widgets.set_value(K(name), data[name])
    try:
        params = validate_params(data)
    except InvalidInput as exc:
        errors: dict[str, list[str]] = {}
        for e in exc.errors:
            # The only model-wide rule is the duration against the lesson count.
            field = e["field"] if e["field"] in FIELDS else "total_duration_minutes"
            if e["field"] in FIELDS:
                message = labelled(e, label("param", field))
            else:
                lessons = int(data.get("module_count") or 0) * int(data.get("lessons_per_module") or 0)
                message = t(
                    "verr_duration", lessons=lessons, low=lessons * 5, high=lessons * MAX_LESSON_MINUTES
                )
            errors.setdefault(field, []).append(message)
        st.session_state[ERRORS] = errors
        return
    st.session_state[ERRORS] = {}
    with session_scope() as session:
        if state.course_id() is None:
            state.set_course(id_of(create_course(session, actor=state.actor(), params=params)))
            move_budget(None, int(state.course_id() or 0))
        else:
            update_params(session, actor=state.actor(), course_id=state.course_id(), params=params)
    st.session_state["parameters.start"] = bool(st.session_state.get(K("propose")))


def _valid_params() -> CourseParams | None:
    if st.session_state.get(ERRORS):
        return None
    try:
        return validate_params({name: _form_value(name) for name in FIELDS})
    except InvalidInput:
        return None


def _errors(name: str) -> None:
    for message in st.session_state.get(ERRORS, {}).get(name, []):
        st.markdown(f":red[⚠ {md_escape(message)}]")


def _field(name: str, widget: Any, *args: Any, **kwargs: Any) -> None:
    widget(label("param", name), *args, key=K(name), **kwargs)
    _errors(name)


def _number(name: str, *, step: int = 1) -> None:
    # The schema's own limits, on the widget and in the help; an out-of-range number gets the
    # server's phrase from the range guard (ui/limits.py), never a silent no-op.
    low, high = limits(CourseParams, name)
    _field(
        name,
        st.number_input,
        step=step,
        help=t("range_help", low=low, high=high),
        **bounds(CourseParams, name, st.session_state.get(K(name))),
    )


def _text(name: str, widget: Any, **kwargs: Any) -> None:
    _field(name, widget, max_chars=max_chars(CourseParams, name), **kwargs)


def _choice(name: str, prefix: str) -> None:
    # The labels are bound to the language the widget is drawn in (see ui/widgets.py).
    fmt = partial(label, prefix, lang=state.lang())
    widgets.choice(
        st.selectbox, label("param", name), [x.value for x in CHOICES[name]], key=K(name), format_func=fmt
    )
    _errors(name)


header(":material/tune:", "nav_parameters")
# A new course is written in the interface language unless the author picks another.
current: dict[str, Any] = CourseParams(topic="xxx", language=Language(state.lang())).model_dump(
    mode="json"
) | {"topic": "", "audience": t("default_audience")}
if state.course_id() is not None:
    with read_session() as session:
        current = dict(get_course(session, state.course_id()).params)
# Streamlit forgets a widget's state once a run ends without drawing it (another page):
# reload the fields then too, not only for another course.
if (
    st.session_state.get("parameters.loaded", "never") != state.course_id()
    or K("topic") not in st.session_state
):
    for name in FIELDS:
        if name in CHOICES:
            widgets.set_value(K(name), current.get(name))
        else:
            st.session_state[K(name)] = current.get(name)
    st.session_state["parameters.loaded"] = state.course_id()
    st.session_state[ERRORS] = {}

# Not an st.form: a form sends its values only on submit, so a language switch before saving
# would drop what was picked. Plain widgets keep every value (choices by value, ui/widgets.py).
with st.container(border=True, key=GUARD_PREFIX + "parameters"):
    _text("topic", st.text_input, placeholder=t("topic_hint"))
    _text("audience", st.text_input)
    a, b, c = st.columns(3)
    with a:
        _choice("level", "level")
        _choice("language", "content_lang")
    with b:
        _number("total_duration_minutes", step=15)
        _choice("tone", "tone")
    with c:
        _number("module_count")
        _number("lessons_per_module")
    _text("constraints", st.text_area, placeholder=t("constraints_hint"))
    st.checkbox(t("propose_after_save"), value=True, key=K("propose"))
    st.button(t("save_parameters"), type="primary", on_click=_submit, key="parameters-save")

if st.session_state.get(ERRORS):
    st.error(t("fix_fields"))
if st.session_state.pop("parameters.start", False) and state.course_id() is not None:
    if not started(start_outline, actor=state.actor(), course_id=state.course_id()):
        st.stop()
    state.switch("pages/structure.py")
if (valid := _valid_params()) is not None:
    with st.container(border=True):
        estimate_panel(valid)
        budget_input(state.course_id(), key="parameters")
if state.course_id() is not None and not st.session_state.get(ERRORS):
    state.link("pages/structure.py", label=t("next_structure"), icon=":material/arrow_forward:")

"""Choice widgets that keep their value across a language switch.

Streamlit 1.67's selectbox, radio and segmented control remember the *formatted* label the
browser sent, and map it back through the current format_func: after a language switch the
old label matches nothing and the widget hands back a stray string ("Начальный" instead of
"beginner"). These wrappers store the value (never the label) under `<key>.value` and draw
the widget under a key that names the language, so a switch draws a fresh widget preset to
the stored value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

from ui import state

T = TypeVar("T")


def value_key(key: str) -> str:
    return f"{key}.value"


def widget_key(key: str) -> str:
    return f"{key}.{state.lang()}"


def set_value(key: str, value: object) -> None:
    """Preset a choice (before it is drawn): the stored value and every language's widget."""
    st.session_state[value_key(key)] = value
    for lang in state.LANGUAGES:
        st.session_state.pop(f"{key}.{lang}", None)


def get_value(key: str, default: Any = None) -> Any:
    return st.session_state.get(value_key(key), default)


def choice(
    widget: Callable[..., Any],
    label: str,
    options: Sequence[T],
    *,
    key: str,
    format_func: Callable[[T], str],
    index: int | None = 0,
    **kwargs: Any,
) -> T | None:
    """`widget` is st.selectbox / st.radio / st.segmented_control or a column's method."""
    options = list(options)
    wkey = widget_key(key)
    stored = st.session_state.get(value_key(key))
    preset = wkey in st.session_state
    if not preset and stored in options:
        st.session_state[wkey] = stored
        preset = True
    elif preset and st.session_state[wkey] not in options:
        # The options changed under the widget (an item was deleted): start over.
        del st.session_state[wkey]
        preset = False
    if not preset and index is not None and options:
        if widget.__name__ == "segmented_control":
            kwargs["default"] = options[min(index, len(options) - 1)]
        else:
            kwargs["index"] = min(index, len(options) - 1)
    value = widget(label, options, key=wkey, format_func=format_func, **kwargs)
    st.session_state[value_key(key)] = value
    return value

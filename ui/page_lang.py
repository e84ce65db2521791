"""The page's `lang` follows the interface language (WCAG 3.1.1 Language of Page).

Streamlit always serves `<html lang="en">`; with the Russian interface a screen reader
would read Russian with English rules. A zero-height component (a same-origin iframe)
sets the parent document's `lang` to the chosen interface language, a fixed code."""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

from ui import state

_SCRIPT = "<script>try {{ window.parent.document.documentElement.lang = '{lang}'; }} catch (e) {{}}</script>"


def sync_page_language() -> None:
    lang = state.lang()
    if lang not in state.LANGUAGES:  # only our own fixed codes ever reach the script
        return
    with st.sidebar:  # zero height, out of the page's own layout
        components.html(_SCRIPT.format(lang=lang), height=0)

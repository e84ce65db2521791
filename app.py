"""Course Studio: page config, navigation over pages/, the shared sidebar. Nothing else."""

from __future__ import annotations

import streamlit as st

from ui import editor, state
from ui.i18n import label, t
from ui.layout import sidebar
from ui.resources import boot

st.set_page_config(page_title="Course Studio", page_icon="🎓", layout="wide")
boot()
st.session_state[state.APP_RAN] = True
state.init_from_url()
# Pending editor text is saved before any page draws: a page switch never loses an edit.
editor.flush_all()


def page(name: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(f"pages/{name}.py", title=label("nav", name), icon=icon, url_path=name, default=default)


sections: dict[str, list[st.Page]] = {
    t("section_course"): [
        page("courses", ":material/library_books:", default=True),
        page("parameters", ":material/tune:"),
        page("structure", ":material/account_tree:"),
        page("lessons", ":material/edit_note:"),
        page("slides", ":material/slideshow:"),
        page("export", ":material/download:"),
    ],
    t("section_operations"): [
        page("jobs", ":material/pending_actions:"),
        page("costs", ":material/payments:"),
    ],
    t("section_prompts"): [
        page("playground", ":material/science:"),
        page("evaluations", ":material/analytics:"),
    ],
}

current = st.navigation(sections)
sidebar()
state.sync_url()
current.run()  # every page draws its title and the offline banner through ui.layout.header

"""Course Studio: page config, navigation over pages/, the shared sidebar. Nothing else."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import editor, state
from ui.i18n import t
from ui.layout import offline_banner, sidebar
from ui.resources import boot

ROOT = Path(__file__).parent
OWN_PAGES = {"courses", "parameters", "structure", "lessons", "slides", "export", "jobs", "costs"}

st.set_page_config(page_title="Course Studio", page_icon="🎓", layout="wide")
boot()
state.init_from_url()
# Pending editor text is saved before any page draws: a page switch never loses an edit.
editor.flush_all()


def page(name: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(f"pages/{name}.py", title=t(f"nav_{name}"), icon=icon, url_path=name, default=default)


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
}
# Prompt tools are another issue's pages; list them only once they exist.
prompt_pages = [
    page(name, icon)
    for name, icon in (("playground", ":material/science:"), ("evaluations", ":material/analytics:"))
    if (ROOT / "pages" / f"{name}.py").exists()
]
if prompt_pages:
    sections[t("section_prompts")] = prompt_pages

current = st.navigation(sections)
sidebar()
state.sync_url()
if current.url_path not in OWN_PAGES:
    offline_banner()  # the wizard pages draw it under their title; other pages get it here
current.run()

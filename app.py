"""Course Studio: page config, navigation over pages/, the shared sidebar. Nothing else."""

from __future__ import annotations

import streamlit as st

from core.auth import page_allowed
from ui import editor, state
from ui.auth import gate
from ui.i18n import label, t
from ui.layout import sidebar
from ui.page_lang import sync_page_language
from ui.resources import boot

st.set_page_config(page_title="Course Studio", page_icon="🎓", layout="wide")
boot()
st.session_state[state.APP_RAN] = True
state.init_from_url()
actor = gate()  # issue 9: sign-in (or the local mode); stops on the sign-in screen
# Pending editor text is saved before any page draws: a page switch never loses an edit.
editor.flush_all()

LAYOUT: dict[str, list[tuple[str, str]]] = {
    "section_course": [
        ("courses", ":material/library_books:"),
        ("parameters", ":material/tune:"),
        ("sources", ":material/description:"),  # issue-17
        ("structure", ":material/account_tree:"),
        ("lessons", ":material/edit_note:"),
        ("slides", ":material/slideshow:"),
        ("video", ":material/movie:"),
        ("export", ":material/download:"),
    ],
    "section_operations": [
        ("jobs", ":material/pending_actions:"),
        ("costs", ":material/payments:"),
    ],
    "section_prompts": [
        ("playground", ":material/science:"),
        ("evaluations", ":material/analytics:"),
    ],
    "section_admin": [
        ("users", ":material/group:"),
    ],
}
# A role sees only the pages it may use; its first one is the home page.
visible = {section: [p for p in pages if page_allowed(actor, p[0])] for section, pages in LAYOUT.items()}
home = next(name for pages in visible.values() for name, _icon in pages)
sections = {
    t(section): [
        st.Page(f"pages/{name}.py", title=label("nav", name), icon=icon, url_path=name, default=name == home)
        for name, icon in pages
    ]
    for section, pages in visible.items()
    if pages
}

# expanded: with the Sources step the menu passed the size Streamlit folds behind "View N more"
# (an English-only button); every page stays listed.
current = st.navigation(sections, expanded=True)
state.set_current_page(
    getattr(current, "_page", None)
)  # switch()/link() to this page keep its own query keys
sidebar()
state.sync_url()
sync_page_language()  # issue 19: <html lang> follows the interface language
current.run()  # every page draws its title and the offline banner through ui.layout.header

"""Structure: propose an outline, edit it, then approve to start lesson generation."""

from __future__ import annotations

import streamlit as st

from core.db import session_scope
from core.services.courses import add_module
from core.services.generation import KIND_OUTLINE, start_lessons, start_outline
from ui import state
from ui.estimate import budget_input, budget_usd, estimate_panel, params_of
from ui.history import regenerate_panel
from ui.i18n import t
from ui.jobs import follow_job, is_running
from ui.layout import course_and_job, header, md_escape, started
from ui.outline import (
    confirm_and_undo,
    course_text_editor,
    deleted_panel,
    module_editor,
    outline_draft_panel,
    overview,
)

header(":material/account_tree:", "nav_structure")
course, job = course_and_job((KIND_OUTLINE,))
if job is not None and (is_running(job) or job.error_code):
    follow_job(job, key="structure-job")
if is_running(job):
    st.stop()

if not course.modules:
    # The error above says the answer is kept as a draft: it is opened right here.
    outline_draft_panel(course.id, opened=job is not None and job.status == "failed")
    st.info(t("no_outline_yet"))
    if st.button(
        ":material/auto_awesome: " + t("propose_structure"), type="primary", key="structure-propose"
    ) and started(start_outline, actor=state.actor(), course_id=course.id):
        st.rerun()
    st.stop()

st.subheader(md_escape(course.title))
if course.summary:
    st.caption(md_escape(course.summary))
course_text_editor(course.id)
overview(course)

labels = {
    m.id: f"{i}. {m.title}" + (" :material/lock:" if m.locked else "")
    for i, m in enumerate(course.modules, 1)
}
picked = st.selectbox(
    t("edit_module"), list(labels), format_func=labels.get, key=f"structure-{course.id}-module"
)
confirm_and_undo(course)
module = next(m for m in course.modules if m.id == picked)
number = course.modules.index(module) + 1
module_editor(course, module, number)

with st.expander(":material/auto_awesome: " + t("regenerate_module")):
    regenerate_panel(
        course_id=course.id,
        node_type="module",
        node_id=module.id,
        locked=module.locked,
        key=f"module-{module.id}-regen",
        editor_key=f"module-{module.id}",
    )

st.divider()
# Approving again only writes lessons that have no text yet; edits are never redone.
pending = [lsn.id for lsn in course.lessons if lsn.detail_status == "pending"]
left, right = st.columns([3, 2], vertical_alignment="center")
left.markdown(t("approve_hint"))
if pending and (params := params_of(course.params)) is not None:
    with left:
        estimate_panel(params, lessons=len(pending))
    with right:
        budget_input(course.id, key=f"structure-{course.id}")
if right.button(":material/check_circle: " + t("approve_structure"), type="primary", key="structure-approve"):
    if pending and not started(
        start_lessons,
        actor=state.actor(),
        course_id=course.id,
        lesson_ids=pending,
        budget_usd=budget_usd(course.id),
    ):
        st.stop()
    state.switch("pages/lessons.py")
if st.button(":material/add: " + t("add_module"), key="structure-add-module"):
    with session_scope() as session:
        add_module(
            session,
            actor=state.actor(),
            course_id=course.id,
            title=t("new_module"),
            objectives=[t("new_objective")],
        )
    st.rerun()
deleted_panel(course.id)

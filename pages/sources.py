"""Sources: the team's own documents a course is built from (issue 17). Before Structure:
with sources, the outline and the lessons are written from them and cite them."""

from __future__ import annotations

import streamlit as st

from core.services.generation import KIND_OUTLINE, start_outline
from ui import state
from ui.i18n import t
from ui.jobs import follow_job, is_running
from ui.layout import course_and_job, header, started
from ui.sources import course_coverage, source_list, upload_panel

header(":material/description:", "nav_sources")
course, job = course_and_job((KIND_OUTLINE,))
st.caption(t("src_intro"))
upload_panel(course.id)
sources = source_list(course.id)
course_coverage(course.id, [lesson.id for lesson in course.lessons if lesson.body_md])

st.divider()
if job is not None and is_running(job):
    follow_job(job, key="sources-job")
    st.stop()
written = any(lesson.body_md for lesson in course.lessons)
# Until a lesson is written, the structure can be proposed again from the sources.
if (
    sources
    and not written
    and st.button(":material/auto_awesome: " + t("src_propose"), type="primary", key="sources-propose")
    and started(start_outline, actor=state.actor(), course_id=course.id)
):
    state.switch("pages/structure.py")
state.link("pages/structure.py", label=t("nav_structure"), icon=":material/account_tree:")

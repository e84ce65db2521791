"""Courses: open, duplicate, archive and restore; import a course from its JSON export."""

from __future__ import annotations

import streamlit as st

from core.db import id_of, read_session, session_scope
from core.services.courses import duplicate_course, list_courses, set_archived
from ui import state
from ui.exports import import_box
from ui.i18n import STEPS, t
from ui.layout import header, md_escape

header(":material/library_books:", "nav_courses")

top = st.columns([1, 3])
if top[0].button(":material/add: " + t("new_course"), type="primary", key="courses-new"):
    state.set_course(None)
    state.switch("pages/parameters.py")
show_archived = top[1].toggle(t("show_archived"), key="courses-archived")
imported = import_box()
if imported is not None:
    state.set_course(imported)
    st.toast(t("course_imported", id=imported), icon=":material/download:")
    st.rerun()

with read_session() as session:
    courses = list_courses(session, include_archived=show_archived)

if not courses:
    st.info(t("no_courses_yet"))
for course in courses:
    cid = id_of(course)
    with st.container(border=True):
        info, open_col, dup_col, arch_col = st.columns([6, 1, 1, 1], vertical_alignment="center")
        marker = " :material/inventory_2:" if course.archived else ""
        current = " :material/star:" if cid == state.course_id() else ""
        info.markdown(f"**{md_escape(course.title)}**{marker}{current}")
        info.caption(
            t(
                "course_line",
                id=cid,
                lang=course.language.upper(),
                step=STEPS[state.lang()].get(course.step, course.step),
                updated=course.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
        if open_col.button(t("open"), key=f"course-{cid}-open", disabled=course.archived):
            state.set_course(cid)
            state.switch(f"pages/{course.step}.py")
        if dup_col.button(t("duplicate"), key=f"course-{cid}-duplicate"):
            with session_scope() as session:
                copy = duplicate_course(session, course_id=cid, actor=state.actor())
            st.toast(t("duplicated", title=md_escape(copy.title)))
            st.rerun()
        label = t("restore_course") if course.archived else t("archive")
        if arch_col.button(label, key=f"course-{cid}-archive"):
            with session_scope() as session:
                set_archived(session, actor=state.actor(), course_id=cid, archived=not course.archived)
            if cid == state.course_id() and not course.archived:
                state.set_course(None)
            st.rerun()

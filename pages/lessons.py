"""Lessons: write every lesson as a job, then edit each one with history and regeneration."""

from __future__ import annotations

import streamlit as st

from core.services.courses import LessonDoc
from core.services.generation import KIND_LESSONS, start_lessons, start_slides
from ui import state
from ui.i18n import label, t, tn
from ui.jobs import follow_job, is_running
from ui.layout import course_and_job, header, started
from ui.lesson_parts import parts_editor
from ui.lessons import lesson_workspace, pick_lesson
from ui.sources import lesson_sources

header(":material/edit_note:", "nav_lessons")
course, job = course_and_job((KIND_LESSONS,))
if not course.lessons:
    st.info(t("no_lessons_in_outline"))
    state.link("pages/structure.py", label=t("nav_structure"), icon=":material/account_tree:")
    st.stop()

if job is not None and (is_running(job) or job.error_code):
    follow_job(job, key="lessons-job")

pending = [lsn.id for lsn in course.lessons if lsn.detail_status == "pending" and not lsn.locked]
written = sum(1 for lsn in course.lessons if lsn.body_md)
st.caption(t("lessons_written", done=written, total=len(course.lessons)))
if (
    pending
    and not is_running(job)
    and st.button(tn("write_lessons_n", len(pending)), type="primary", key="lessons-write")
) and started(start_lessons, actor=state.actor(), course_id=course.id, lesson_ids=pending):
    st.rerun()


LANG = state.lang()


def status(lesson: LessonDoc) -> str:
    # Bound to the page's language: AppTest and the browser call format_func later.
    return label("lstatus", lesson.detail_status, lang=LANG)


lesson = pick_lesson(course, key=f"lessons-{course.id}-pick", status=status)
if lesson.detail_status == "pending" and not lesson.body_md:
    st.info(t("lesson_not_written"))
else:
    lesson_workspace(course, lesson, node_type="lesson", preview_md=lambda text: text)
    lesson_sources(course.id, lesson.id, [lsn.id for lsn in course.lessons])  # issue-17
    # issue 13: key points, exercises and the quiz are edited in forms, saved as revisions.
    st.subheader(t("lesson_extras"))
    parts_editor(lesson_id=lesson.id, objectives=list(lesson.objectives), key=f"lesson-{lesson.id}-parts")

st.divider()
if written and st.button(":material/slideshow: " + t("make_slides"), type="primary", key="lessons-to-slides"):
    missing = [
        lsn.id
        for lsn in course.lessons
        if lsn.body_md and lsn.slides_status != "generated" and not lsn.locked
    ]
    if missing and not started(start_slides, actor=state.actor(), course_id=course.id, lesson_ids=missing):
        st.stop()
    state.switch("pages/slides.py")

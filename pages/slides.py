"""Slides: each lesson's deck (titles, bullets, speaker notes), edited and regenerated like lessons."""

from __future__ import annotations

import streamlit as st

from core.errors import AppError
from core.services.courses import LessonDoc
from core.services.generation import KIND_SLIDES, start_slides
from core.services.revisions import slides_from_text
from ui import state
from ui.i18n import label, t, tn
from ui.jobs import follow_job, is_running
from ui.layout import course_and_job, header, started
from ui.lessons import lesson_workspace, pick_lesson
from ui.validation import problem_text


def deck_markdown(text: str) -> str:
    """Preview of the deck text: one card-like block per slide, notes in italics."""
    try:
        slides = slides_from_text(text)["slides"]
    except AppError as exc:
        # The problem (which line, what to write) in the interface language, not core's English.
        listed = "; ".join(problem_text(e) for e in getattr(exc, "errors", []))
        return f"⚠ {listed or exc.message}"
    blocks = []
    for i, slide in enumerate(slides, 1):
        bullets = "\n".join(f"- {b}" for b in slide["bullets"])
        notes = f"\n\n> 🗣 {slide['notes']}" if slide["notes"] else ""
        blocks.append(f"#### {i}. {slide['title']}\n\n{bullets}{notes}")
    return "\n\n---\n\n".join(blocks)


header(":material/slideshow:", "nav_slides")
course, job = course_and_job((KIND_SLIDES,))
if job is not None and (is_running(job) or job.error_code):
    follow_job(job, key="slides-job")

ready = [lsn for lsn in course.lessons if lsn.body_md]
missing = [lsn.id for lsn in ready if lsn.slides_status == "pending" and not lsn.locked]
decks = sum(1 for lsn in course.lessons if lsn.slides)
st.caption(t("decks_ready", done=decks, total=len(course.lessons)))
if not ready:
    st.info(t("write_lessons_first"))
    state.link("pages/lessons.py", label=t("nav_lessons"), icon=":material/edit_note:")
    st.stop()
if (
    missing
    and not is_running(job)
    and st.button(tn("make_decks_n", len(missing)), type="primary", key="slides-make")
) and started(start_slides, actor=state.actor(), course_id=course.id, lesson_ids=missing):
    st.rerun()


def status(lesson: LessonDoc) -> str:
    return label("sstatus", lesson.slides_status)


lesson = pick_lesson(course, key=f"slides-{course.id}-pick", status=status)
if not lesson.slides and lesson.slides_status == "pending":
    st.info(t("deck_not_made"))
else:
    st.caption(t("deck_format_hint"))
    lesson_workspace(course, lesson, node_type="slides", preview_md=deck_markdown)

st.divider()
state.link("pages/export.py", label=t("next_export"), icon=":material/arrow_forward:")

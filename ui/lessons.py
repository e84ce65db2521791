"""Shared by the Lessons and Slides steps: pick a lesson, then edit / history / regenerate."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.db import session_scope
from core.services.courses import CourseDoc, LessonDoc, set_locked
from ui import editor, state, widgets
from ui.history import history_panel, regenerate_panel
from ui.i18n import t


def pick_lesson(course: CourseDoc, *, key: str, status: Callable[[LessonDoc], str]) -> LessonDoc:
    numbers = {
        lsn.id: f"{mi}.{li}" for mi, m in enumerate(course.modules, 1) for li, lsn in enumerate(m.lessons, 1)
    }
    by_id = {lsn.id: lsn for lsn in course.lessons}
    # The status text is translated: the picker keeps its value across a language switch.
    picked = widgets.choice(
        st.selectbox,
        t("pick_lesson"),
        list(by_id),
        format_func=lambda i: (
            f"{numbers[i]} {by_id[i].title} · {status(by_id[i])}"
            + (" :material/lock:" if by_id[i].locked else "")
        ),
        key=key,
    )
    return by_id[picked]


def lesson_workspace(
    course: CourseDoc, lesson: LessonDoc, *, node_type: str, preview_md: Callable[[str], str]
) -> None:
    key = f"{node_type}-{lesson.id}"
    # One wrapping row, not fixed columns: at 800 px the lock button keeps its whole label
    # ("Закрепить" was cut to "Закр…") and moves under the caption when there is no room.
    row = st.container(horizontal=True, vertical_alignment="center", horizontal_alignment="distribute")
    top = [row, row]
    if lesson.provenance and lesson.provenance.prompt_id and node_type == "lesson":
        p = lesson.provenance
        top[0].caption(
            t(
                "provenance",
                prompt=f"{p.prompt_id}@{p.prompt_version}",
                model=p.model or "—",
                cost=f"{p.cost_usd:.4f}",
            )
        )
    if top[1].button(
        (":material/lock_open: " + t("unlock")) if lesson.locked else (":material/lock: " + t("lock")),
        key=f"{key}-lock",
    ):
        with session_scope() as session:
            set_locked(
                session, actor=state.actor(), node_type="lesson", node_id=lesson.id, locked=not lesson.locked
            )
        st.rerun()
    # Switching tabs reruns the page so History shows revisions autosaved since the last run.
    edit_tab, history_tab, regen_tab = st.tabs(
        [
            ":material/edit: " + t("tab_edit"),
            ":material/history: " + t("tab_history"),
            ":material/auto_awesome: " + t("tab_regenerate"),
        ],
        key=f"{key}-tabs",
        on_change="rerun",
    )
    with edit_tab:
        editor.text_editor(key=key, node_type=node_type, node_id=lesson.id, preview_md=preview_md)
    with history_tab:
        history_panel(node_type=node_type, node_id=lesson.id, key=f"{key}-history", editor_key=key)
    with regen_tab:
        regenerate_panel(
            course_id=course.id,
            node_type=node_type,
            node_id=lesson.id,
            locked=lesson.locked,
            key=f"{key}-regen",
            editor_key=key,
        )

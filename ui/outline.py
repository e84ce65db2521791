"""The Structure step's editor: one module at a time (keeps a 10x10 outline fast), with
its lessons' titles, durations, objectives and locks, and reorder/add/delete actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.db import session_scope
from core.errors import AppError
from core.models import NodeType
from core.services import courses as svc
from core.services.courses import CourseDoc, ModuleDoc
from core.services.revisions import save_edit
from ui import state
from ui.i18n import label, t, tn
from ui.layout import show_error


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def _act(fn: Callable[..., Any], **kwargs: Any) -> None:
    """Run one outline change in its own transaction, then redraw the page."""
    try:
        with session_scope() as session:
            fn(session, **kwargs)
    except AppError as exc:
        st.session_state["structure.error"] = exc
    st.session_state["structure.epoch"] = st.session_state.get("structure.epoch", 0) + 1
    st.rerun()


def overview(course: CourseDoc) -> None:
    target = int(course.params.get("total_duration_minutes", 0))
    st.caption(
        t(
            "outline_totals_n",
            modules=tn("n_modules", len(course.modules)),
            lessons=tn("n_lessons", len(course.lessons)),
            minutes=course.duration_minutes,
            target=target,
        )
    )
    # The module is named on its first lesson only; fixed widths keep the lesson titles
    # readable at 800 px.
    st.dataframe(
        [
            {
                "module": (f"{mi}. {m.title}" + (" 🔒" if m.locked else "")) if li == 1 else "",
                "lesson": f"{mi}.{li} {lsn.title}" + (" 🔒" if lsn.locked else ""),
                "minutes": lsn.duration_minutes,
                "status": label("lstatus", lsn.detail_status),
            }
            for mi, m in enumerate(course.modules, 1)
            for li, lsn in enumerate(m.lessons, 1)
        ],
        column_config={
            "module": st.column_config.TextColumn(t("col_module"), width="medium"),
            "lesson": st.column_config.TextColumn(t("col_lesson"), width="large"),
            "minutes": st.column_config.NumberColumn(t("col_minutes"), width="small"),
            "status": st.column_config.TextColumn(t("col_status"), width="small"),
        },
        hide_index=True,
        height=min(300, 35 * (len(course.lessons) + 1) + 3),
    )


def module_editor(course: CourseDoc, module: ModuleDoc, number: int) -> None:
    if (exc := st.session_state.pop("structure.error", None)) is not None:
        show_error(exc)
    epoch = st.session_state.get("structure.epoch", 0)
    mid = module.id
    # A wrapping row of content-wide buttons: at 800 px they move to a second line instead of
    # being cut to "Зак…".
    row = st.container(horizontal=True)
    cols = [row] * 5
    if cols[0].button("↑ " + t("move_up"), key=f"module-{mid}-up", disabled=number == 1):
        _act(svc.move_module, module_id=mid, offset=-1)
    if cols[1].button(
        "↓ " + t("move_down"), key=f"module-{mid}-down", disabled=number == len(course.modules)
    ):
        _act(svc.move_module, module_id=mid, offset=1)
    lock_label = (
        (":material/lock_open: " + t("unlock")) if module.locked else (":material/lock: " + t("lock"))
    )
    if cols[2].button(lock_label, key=f"module-{mid}-lock"):
        _act(svc.set_locked, node_type="module", node_id=mid, locked=not module.locked)
    if cols[3].button(":material/add: " + t("add_lesson"), key=f"module-{mid}-add"):
        _act(svc.add_lesson, module_id=mid, title=t("new_lesson"), objectives=[t("new_objective")])
    if cols[4].button(
        ":material/delete: " + t("delete_module"), key=f"module-{mid}-delete", disabled=module.locked
    ):
        _act(svc.delete_module, module_id=mid)

    with st.form(f"module-{mid}-form"):
        k = f"module-{mid}-v{module.version}-e{epoch}"
        title = st.text_input(t("module_title"), module.title, key=f"{k}-title", disabled=module.locked)
        objectives = st.text_area(
            t("objectives_lines"),
            "\n".join(module.objectives),
            height=90,
            key=f"{k}-objectives",
            disabled=module.locked,
        )
        edits: dict[int, tuple[str, int, str]] = {}
        for li, lesson in enumerate(module.lessons, 1):
            lk = f"lesson-{lesson.id}-e{epoch}"
            st.markdown(f"**{number}.{li}**" + (" :material/lock:" if lesson.locked else ""))
            c1, c2, c3 = st.columns([4, 1, 4])
            edits[lesson.id] = (
                c1.text_input(t("lesson_title"), lesson.title, key=f"{lk}-title", disabled=lesson.locked),
                int(
                    c2.number_input(
                        t("minutes"),
                        1,
                        600,
                        lesson.duration_minutes,
                        key=f"{lk}-minutes",
                        disabled=lesson.locked,
                    )
                ),
                c3.text_area(
                    t("objectives_lines"),
                    "\n".join(lesson.objectives),
                    height=68,
                    key=f"{lk}-objectives",
                    disabled=lesson.locked,
                ),
            )
        if st.form_submit_button(t("save_module"), type="primary"):
            _save_module(module, title, objectives, edits)
    _lesson_actions(module, number)


def _save_module(
    module: ModuleDoc, title: str, objectives: str, edits: dict[int, tuple[str, int, str]]
) -> None:
    try:
        with session_scope() as session:
            if not module.locked and (title != module.title or _lines(objectives) != module.objectives):
                content = {"title": title, "summary": module.summary, "objectives": _lines(objectives)}
                result = save_edit(
                    session,
                    node_type=NodeType.module,
                    node_id=module.id,
                    content=content,
                    expected_version=module.version,
                    author=state.author(),
                )
                if not result.saved:
                    st.session_state["structure.error"] = AppError("E.DB.CONFLICT", result.message)
            for lesson in module.lessons:
                new_title, minutes, new_objectives = edits[lesson.id]
                changed = (new_title, minutes, _lines(new_objectives)) != (
                    lesson.title,
                    lesson.duration_minutes,
                    lesson.objectives,
                )
                if changed and not lesson.locked:
                    svc.update_lesson_outline(
                        session,
                        lesson_id=lesson.id,
                        title=new_title,
                        objectives=_lines(new_objectives),
                        duration_minutes=minutes,
                    )
    except AppError as exc:
        show_error(exc)
        return
    st.toast(t("saved"))
    st.session_state["structure.epoch"] = st.session_state.get("structure.epoch", 0) + 1
    st.rerun()


def _lesson_actions(module: ModuleDoc, number: int) -> None:
    with st.expander(t("lesson_actions")):
        for li, lesson in enumerate(module.lessons, 1):
            c0, c1, c2, c3, c4 = st.columns([5, 1, 1, 1, 1], vertical_alignment="center")
            c0.text(f"{number}.{li} {lesson.title}")
            lid = lesson.id
            if c1.button("↑", key=f"lesson-{lid}-up", help=t("move_up"), disabled=li == 1):
                _act(svc.move_lesson, lesson_id=lid, offset=-1)
            if c2.button(
                "↓", key=f"lesson-{lid}-down", help=t("move_down"), disabled=li == len(module.lessons)
            ):
                _act(svc.move_lesson, lesson_id=lid, offset=1)
            if c3.button(
                ":material/lock_open:" if lesson.locked else ":material/lock:",
                key=f"lesson-{lid}-lock",
                help=t("unlock") if lesson.locked else t("lock"),
            ):
                _act(svc.set_locked, node_type="lesson", node_id=lid, locked=not lesson.locked)
            if c4.button(
                ":material/delete:",
                key=f"lesson-{lid}-delete",
                help=t("delete_lesson"),
                disabled=lesson.locked,
            ):
                _act(svc.delete_lesson, lesson_id=lid)

"""The Structure step's editor: one module at a time (keeps a 10x10 outline fast), with
its lessons' titles, durations, objectives and locks, and reorder/add/delete actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.db import id_of, session_scope
from core.errors import AppError
from core.models import NodeType
from core.schemas import OutlineLesson, OutlineModule
from core.services import courses as svc
from core.services.courses import CourseDoc, ModuleDoc
from core.services.revisions import save_edit
from ui import state
from ui.i18n import label, t, tn
from ui.layout import md_escape, show_error
from ui.limits import bounds, max_chars
from ui.validation import limits, problem_line


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def _act(fn: Callable[..., Any], **kwargs: Any) -> None:
    """Run one outline change in its own transaction, then redraw the page."""
    try:
        with session_scope() as session:
            fn(session, actor=state.actor(), **kwargs)
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
    # A static table whose cells wrap: it fits at 1440 px and stays readable at 800 px, where
    # a data grid cut the lesson titles. The module is named on its first lesson only.
    rows = [
        {
            t("col_module"): (f"{mi}. {m.title}" + (" 🔒" if m.locked else "")) if li == 1 else "",
            t("col_lesson"): f"{mi}.{li} {lsn.title}" + (" 🔒" if lsn.locked else ""),
            t("col_minutes"): lsn.duration_minutes,
            t("col_status"): label("lstatus", lsn.detail_status),
        }
        for mi, m in enumerate(course.modules, 1)
        for li, lsn in enumerate(m.lessons, 1)
    ]
    st.table(rows, hide_index=True, border="horizontal", height=420 if len(rows) > 12 else "content")


MINUTES = limits(OutlineLesson, "duration_minutes")
CONFIRM = "structure.confirm-delete"
UNDO = "structure.undo"


def _delete(node_type: str, node_id: int) -> None:
    fn = svc.delete_module if node_type == "module" else svc.delete_lesson
    key = "module_id" if node_type == "module" else "lesson_id"
    try:
        with session_scope() as session:
            kept = fn(session, actor=state.actor(), **{key: node_id})
            st.session_state[UNDO] = (id_of(kept), str(kept.content.get("title") or ""))
    except AppError as exc:
        st.session_state["structure.error"] = exc
    st.session_state.pop(CONFIRM, None)
    st.session_state["structure.epoch"] = st.session_state.get("structure.epoch", 0) + 1
    st.rerun()


def _undo(revision_id: int) -> None:
    try:
        with session_scope() as session:
            svc.undo_delete(session, actor=state.actor(), revision_id=revision_id)
    except AppError as exc:
        st.session_state["structure.error"] = exc
    else:
        st.toast(t("undo_done"), icon=":material/undo:")
    st.session_state.pop(UNDO, None)
    st.session_state["structure.epoch"] = st.session_state.get("structure.epoch", 0) + 1
    st.rerun()


def confirm_and_undo(course: CourseDoc) -> None:
    """The delete confirmation (naming written lessons that would go) and the Undo notice."""
    pending = st.session_state.get(CONFIRM)
    if pending:
        node_type, node_id = pending
        if node_type == "module":
            module = next((m for m in course.modules if m.id == node_id), None)
            title, lessons = (module.title, module.lessons) if module else ("", [])
        else:
            lesson = next((x for x in course.lessons if x.id == node_id), None)
            title, lessons = (lesson.title, [lesson]) if lesson else ("", [])
        written = [x.title for x in lessons if x.body_md]
        with st.container(border=True):
            text = t(f"confirm_delete_{node_type}", title=md_escape(title))
            if written and node_type == "lesson":
                text += "\n\n" + t("confirm_written_lesson")
            elif written:
                text += "\n\n" + tn("confirm_written_n", len(written)) + "\n\n"
                text += "\n".join(f"- {md_escape(w)}" for w in written)
            st.warning(text + "\n\n" + t("confirm_can_undo"), icon=":material/delete:")
            row = st.container(horizontal=True)
            if row.button(t("delete_confirm"), type="primary", key=f"confirm-delete-{node_type}-{node_id}"):
                _delete(node_type, node_id)
            if row.button(t("cancel_delete"), key=f"cancel-delete-{node_type}-{node_id}"):
                st.session_state.pop(CONFIRM, None)
                st.rerun()
    undo = st.session_state.get(UNDO)
    if undo:
        revision_id, title = undo
        row = st.container(horizontal=True, vertical_alignment="center")
        row.info(t("deleted_notice", title=md_escape(title)), icon=":material/delete:")
        if row.button(t("undo"), key=f"undo-{revision_id}", icon=":material/undo:", type="primary"):
            _undo(revision_id)


def deleted_panel(course_id: int) -> None:
    """Everything deleted from this course, each one restorable."""
    with session_scope(readonly=True) as session:
        items = svc.deleted_items(session, course_id)
    if not items:
        return
    with st.expander(f":material/restore_from_trash: {t('deleted_items', n=len(items))}"):
        for rev in items:
            row = st.container(horizontal=True, vertical_alignment="center")
            row.markdown(
                t(
                    "deleted_line",
                    what=label("node", rev.node_type),
                    title=md_escape(str(rev.content.get("title") or "")),
                    who=md_escape(rev.author),
                    when=rev.created_at.strftime("%Y-%m-%d %H:%M"),
                )
            )
            if row.button(t("restore_deleted"), key=f"restore-deleted-{rev.id}", icon=":material/undo:"):
                _undo(id_of(rev))


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
        st.session_state[CONFIRM] = ("module", mid)
        st.rerun()  # the confirmation is drawn above the editor

    with st.form(f"module-{mid}-form"):
        k = f"module-{mid}-v{module.version}-e{epoch}"
        title = st.text_input(
            t("module_title"),
            module.title,
            max_chars=max_chars(OutlineModule, "title"),
            key=f"{k}-title",
            disabled=module.locked,
        )
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
                c1.text_input(
                    t("lesson_title"),
                    lesson.title,
                    max_chars=max_chars(OutlineLesson, "title"),
                    key=f"{lk}-title",
                    disabled=lesson.locked,
                ),
                int(
                    # The schema's range on the widget; the range guard says an out-of-range
                    # number in the server's words and holds the form back.
                    c2.number_input(  # type: ignore[call-overload]  # bounds() may be empty
                        t("minutes"),
                        value=lesson.duration_minutes,
                        step=1,
                        key=f"{lk}-minutes",
                        disabled=lesson.locked,
                        help=t("range_help", low=MINUTES[0], high=MINUTES[1]),
                        **bounds(OutlineLesson, "duration_minutes", lesson.duration_minutes),
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
                    actor=state.actor(),
                )
                if not result.saved:
                    code = "E.CONTENT.BLOCKED" if result.blocked else "E.DB.CONFLICT"
                    st.session_state["structure.error"] = AppError(code, result.message)
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
                        actor=state.actor(),
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
                st.session_state[CONFIRM] = ("lesson", lid)
                st.rerun()


def course_text_editor(course_id: int) -> None:
    """The course's title and summary, editable, with their history and the last change."""
    from ui.history import show_diff

    with session_scope(readonly=True) as session:
        row = svc.get_course(session, course_id)
        revisions = svc.course_text_history(session, course_id)
    with st.expander(":material/edit: " + t("edit_course_text")):
        with st.form(f"course-{course_id}-text", border=False):
            k = f"course-{course_id}-v{row.version}"
            title = st.text_input(
                t("course_title"), row.title, max_chars=max_chars(svc.CourseText, "title"), key=f"{k}-title"
            )
            summary = st.text_area(
                t("course_summary"),
                row.summary,
                max_chars=max_chars(svc.CourseText, "summary"),
                key=f"{k}-summary",
            )
            if st.form_submit_button(t("save_course_text"), type="primary"):
                try:
                    with session_scope() as session:
                        svc.update_course_text(
                            session,
                            actor=state.actor(),
                            course_id=course_id,
                            title=title,
                            summary=summary,
                            expected_version=row.version,
                        )
                except AppError as exc:
                    show_error(exc)
                else:
                    st.toast(t("saved"))
                    st.rerun()
        if revisions:
            st.caption(t("course_text_history"))
            st.dataframe(
                [
                    {
                        "#": r.id,
                        t("col_time"): r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                        t("col_author"): r.author,
                        t("course_title"): str(r.content.get("title") or ""),
                    }
                    for r in revisions
                ],
                hide_index=True,
            )
        if len(revisions) >= 2:
            show_diff(
                "course",
                revisions[1].content,
                revisions[0].content,
                key=f"course-{course_id}-text-diff",
                labels=(f"#{revisions[1].id}", f"#{revisions[0].id}"),
            )


def outline_draft_panel(course_id: int, *, opened: bool) -> None:
    """The invalid outline answer a failed job kept: open it, fix it, check it, use it."""
    from core.services.generation import accept_outline_draft, latest_outline_draft

    with session_scope(readonly=True) as session:
        draft = latest_outline_draft(session, course_id)
    if draft is None:
        return
    raw = str(draft.content.get("raw") or "")
    with st.expander(":material/draft: " + t("outline_draft_open", rev=draft.id), expanded=opened):
        st.caption(t("outline_draft_hint"))
        for problem in draft.content.get("problems") or []:
            st.caption("• " + md_escape(problem_line(str(problem))))
        with st.form(f"outline-draft-{draft.id}", border=False):
            text = st.text_area(
                t("outline_draft_text"), raw, height=320, key=f"outline-draft-{draft.id}-text"
            )
            if st.form_submit_button(t("outline_draft_use"), type="primary"):
                try:
                    with session_scope() as session:
                        accept_outline_draft(session, actor=state.actor(), course_id=course_id, text=text)
                except AppError as exc:
                    show_error(exc)
                else:
                    st.toast(t("outline_draft_used"))
                    st.rerun()

"""Forms for a lesson's key points, exercises and quiz questions (issue 13): edit, add,
delete and reorder, then save them as one lesson revision.

The working copy lives in session state with a stable id per item, so moving an item up
keeps what was typed in it. Saving goes through core.services.lesson_parts (validation,
revision, conflict); the page shows each problem next to the item it names.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import streamlit as st

from core.db import session_scope
from core.errors import AppError, InvalidInput
from core.services.courses import get_lesson
from core.services.lesson_parts import PARTS, blank_exercise, blank_question, move, parts_of, save_parts
from ui import state, widgets
from ui.i18n import t
from ui.layout import show_error
from ui.text import md_escape
from ui.validation import phrase

_PREFIX = "parts."


def _load(lesson_id: int) -> dict[str, Any]:
    with session_scope(readonly=True) as session:
        lesson = get_lesson(session, lesson_id)
        version, parts = lesson.version, parts_of(lesson)  # type: ignore[arg-type]
    items = {
        name: [{"uid": i, "value": copy.deepcopy(v)} for i, v in enumerate(parts[name])] for name in PARTS
    }
    return {
        "lesson_id": lesson_id,
        "version": version,
        "base": parts,
        "items": items,
        "next": max((len(v) for v in parts.values()), default=0),
        # Widget keys carry the generation: a reload draws fresh widgets on the new values.
        "gen": version,
        "conflict": "",
        "errors": [],
    }


def _slot(key: str, lesson_id: int) -> dict[str, Any]:
    slot = st.session_state.get(_PREFIX + key)
    if slot is None or slot["lesson_id"] != lesson_id:
        slot = _load(lesson_id)
        st.session_state[_PREFIX + key] = slot
    return slot


def reload(key: str) -> None:
    st.session_state.pop(_PREFIX + key, None)
    st.session_state.pop(_PREFIX + key + ".saved", None)


def _dirty(slot: dict[str, Any]) -> bool:
    return any([it["value"] for it in slot["items"][n]] != slot["base"][n] for n in PARTS)


def parts_editor(*, lesson_id: int, objectives: list[str], key: str) -> None:
    """Tabs for key points, exercises and the quiz, a save button and what it said."""
    slot = _slot(key, lesson_id)
    if not slot["conflict"] and not _dirty(slot):
        # Nothing typed here yet: follow the lesson when someone else (or a proposal) changed it.
        with session_scope(readonly=True) as session:
            moved = get_lesson(session, lesson_id).version != slot["version"]
        if moved:
            reload(key)  # also drops "saved": that message was about the version before
            slot = _slot(key, lesson_id)
    actions: list[tuple[str, int, str]] = []  # (part, index, action) applied after every widget is read
    kp_tab, ex_tab, quiz_tab = st.tabs(
        # Fixed labels: a label that changed (an item count) would reset the open tab.
        [t("key_points"), t("exercises"), t("quiz")],
        key=f"{key}-tabs",
    )
    base = f"{key}-{slot['gen']}"
    with kp_tab:
        for i, item in enumerate(slot["items"]["key_points"]):
            cols = st.columns([8, 1, 1, 1], vertical_alignment="bottom")
            item["value"] = cols[0].text_input(
                t("parts_point_n", n=i + 1), value=item["value"], key=f"{base}-kp-{item['uid']}"
            )
            actions += _item_buttons(cols[1:], "key_points", i, f"{base}-kp-{item['uid']}")
        if st.button(":material/add: " + t("parts_add_point"), key=f"{base}-kp-add"):
            actions.append(("key_points", -1, "add"))
    with ex_tab:
        for i, item in enumerate(slot["items"]["exercises"]):
            _exercise_form(item, i, f"{base}-ex-{item['uid']}", actions)
        if st.button(":material/add: " + t("parts_add_exercise"), key=f"{base}-ex-add"):
            actions.append(("exercises", -1, "add"))
    with quiz_tab:
        for i, item in enumerate(slot["items"]["quiz"]):
            _question_form(item, i, f"{base}-q-{item['uid']}", objectives, actions)
        if st.button(":material/add: " + t("parts_add_question"), key=f"{base}-q-add"):
            actions.append(("quiz", -1, "add"))
    for part, index, action in actions:
        _apply(slot, part, index, action)
    if actions:
        st.rerun()
    _save_row(slot, key)


def _item_buttons(cols: list[Any], part: str, index: int, key: str) -> list[tuple[str, int, str]]:
    out = []
    for col, action, icon, tip in (
        (cols[0], "up", ":material/arrow_upward:", "parts_move_up"),
        (cols[1], "down", ":material/arrow_downward:", "parts_move_down"),
        (cols[2], "delete", ":material/delete:", "parts_delete"),
    ):
        # The help text names the item, so a screen reader says which one moves.
        if col.button(icon, key=f"{key}-{action}", help=t(tip, n=index + 1)):
            out.append((part, index, action))
    return out


def _exercise_form(item: dict[str, Any], i: int, key: str, actions: list[tuple[str, int, str]]) -> None:
    ex = item["value"]
    with st.container(border=True):
        head = st.columns([8, 1, 1, 1], vertical_alignment="bottom")
        ex["title"] = head[0].text_input(
            t("parts_exercise_n", n=i + 1), value=ex.get("title", ""), key=f"{key}-title"
        )
        actions += _item_buttons(head[1:], "exercises", i, key)
        ex["instructions"] = st.text_area(
            t("parts_instructions"), value=ex.get("instructions", ""), key=f"{key}-instr", height=100
        )
        a, b = st.columns(2)
        ex["model_answer"] = a.text_area(
            t("parts_model_answer"), value=ex.get("model_answer", ""), key=f"{key}-answer", height=100
        )
        ex["rubric"] = b.text_area(
            t("parts_rubric"), value=ex.get("rubric", ""), key=f"{key}-rubric", height=100
        )


def _question_form(
    item: dict[str, Any], i: int, key: str, objectives: list[str], actions: list[tuple[str, int, str]]
) -> None:
    q = item["value"]
    with st.container(border=True):
        head = st.columns([8, 1, 1, 1], vertical_alignment="bottom")
        q["question"] = head[0].text_input(
            t("parts_question_n", n=i + 1), value=q.get("question", ""), key=f"{key}-stem"
        )
        actions += _item_buttons(head[1:], "quiz", i, key)
        text = st.text_area(
            t("parts_options"),
            value="\n".join(q.get("options") or []),
            key=f"{key}-options",
            height=120,
            help=t("parts_options_help"),
        )
        q["options"] = [line for line in text.splitlines() if line.strip()] or [""]
        a, b = st.columns(2)
        options = list(range(len(q["options"])))
        answer = widgets.choice(
            a.selectbox,
            t("parts_correct"),
            options,
            index=min(int(q.get("answer_index") or 0), len(options) - 1),
            format_func=lambda n, opts=q["options"]: f"{n + 1}. {opts[n]}",  # type: ignore[misc]
            key=f"{key}-correct",
        )
        q["answer_index"] = int(answer or 0)
        none = t("parts_no_objective")
        choices = (
            ["", *objectives]
            if q.get("objective", "") in ("", *objectives)
            else ["", *objectives, q["objective"]]
        )
        q["objective"] = (
            widgets.choice(
                b.selectbox,
                t("parts_objective"),
                choices,
                index=choices.index(q.get("objective", "")),
                format_func=lambda o: o or none,
                key=f"{key}-objective",
            )
            or ""
        )
        q["explanation"] = st.text_input(
            t("parts_explanation"), value=q.get("explanation", ""), key=f"{key}-why"
        )


def _apply(slot: dict[str, Any], part: str, index: int, action: str) -> None:
    items = slot["items"][part]
    if action == "add":
        fresh = {"key_points": "", "exercises": blank_exercise(), "quiz": blank_question()}[part]
        items.append({"uid": slot["next"], "value": fresh})
        slot["next"] += 1
    elif action == "delete":
        del items[index]
    else:
        slot["items"][part] = move(items, index, -1 if action == "up" else 1)


_FIELD = re.compile(r"^(key_points|exercises|quiz)(?:\.(\d+))?(?:\.(\w+))?")


def _where(field: str) -> str:
    """'quiz.1.options' -> 'Question 2 · Options', in the interface language."""
    m = _FIELD.match(field)
    if not m:
        return field
    part, index, sub = m.groups()
    names = {"key_points": "parts_point_n", "exercises": "parts_exercise_n", "quiz": "parts_question_n"}
    where = t(names[part], n=int(index) + 1) if index is not None else t(part)
    sub_keys = {
        "title": "parts_title",
        "instructions": "parts_instructions",
        "model_answer": "parts_model_answer",
        "rubric": "parts_rubric",
        "question": "parts_question",
        "options": "parts_options",
        "answer_index": "parts_correct",
        "explanation": "parts_explanation",
        "objective": "parts_objective",
    }
    return f"{where} · {t(sub_keys[sub])}" if sub in sub_keys else where


def _problem(error: dict[str, Any]) -> str:
    message = str(error.get("message") or "")
    # Our own schema rules have no pydantic type of their own: say them in the UI language.
    if "options repeat" in message:
        return t("parts_err_options_repeat")
    if "outside the" in message:
        return t("parts_err_answer")
    return phrase(error)


def _save_row(slot: dict[str, Any], key: str) -> None:
    dirty = _dirty(slot)
    if slot["conflict"]:
        st.error(slot["conflict"])
        if st.button(t("load_latest"), key=f"{key}-parts-reload", type="primary"):
            reload(key)
            st.rerun()
        return
    for error in slot["errors"]:
        field = str(error.get("field") or "")
        where = md_escape(_where(field)) + ": " if field else ""
        st.error(where + md_escape(_problem(error)))
    done = _PREFIX + key + ".saved"
    if dirty:
        st.session_state.pop(done, None)
        st.caption(":material/edit: " + t("parts_unsaved"))
    elif st.session_state.get(done):
        # A message that stays (a toast would be gone before a screen reader or a slow eye).
        st.success(t("parts_saved"), icon=":material/check:")
    if st.button(
        ":material/save: " + t("parts_save"), key=f"{key}-parts-save", type="primary", disabled=not dirty
    ):
        _save(slot, key)


def _save(slot: dict[str, Any], key: str) -> None:
    parts = {n: [it["value"] for it in slot["items"][n]] for n in PARTS}
    changed = {n: v for n, v in parts.items() if v != slot["base"][n]}
    try:
        with session_scope() as session:
            result = save_parts(
                session,
                lesson_id=slot["lesson_id"],
                parts=changed,
                base=slot["base"],
                expected_version=slot["version"],
                actor=state.actor(),
            )
    except InvalidInput as exc:
        slot["errors"] = list(exc.errors)
        st.rerun()
    except AppError as exc:
        show_error(exc)
        return
    slot["errors"] = []
    if result.saved:
        reload(key)
        st.session_state[_PREFIX + key + ".saved"] = result.revision_id
        st.rerun()
    if result.blocked or result.problems:
        slot["errors"] = [{"field": "", "message": p} for p in result.problems]
    else:
        slot["conflict"] = t("parts_conflict", rev=result.revision_id, version=result.version)
    st.rerun()

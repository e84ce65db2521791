"""The autosaving text editor for a lesson body or a slide deck, with a sanitized preview.

streamlit-ace hands text back only on blur/Ctrl+Enter unless auto_update=True, so it runs
with auto_update (the component debounces 200 ms) inside a fragment: a keystroke pause
reruns only the fragment. Every value it returns is copied to session state at once (a
rerun or a page switch cannot lose it); a revision is saved once typing pauses for
DEBOUNCE_S (or every MAX_WAIT_S while typing goes on), and `flush_all()` - called by
app.py on every full run - saves whatever is still pending before any page renders.
"""

from __future__ import annotations

import re
import time
from typing import Any

import streamlit as st
from streamlit_ace import st_ace

from core.db import id_of, read_session, session_scope
from core.errors import AppError
from core.exporters.html import render_markdown_safe
from core.models import NodeType
from core.services.courses import get_lesson
from core.services.revisions import (
    SaveResult,
    keep_draft,
    lesson_content,
    save_edit,
    slides_content,
    slides_from_text,
    slides_to_text,
)
from ui import state
from ui.i18n import t
from ui.scroll import EDITOR_PREFIX, PREVIEW_PREFIX, css_name, editor_sync
from ui.text import md_escape
from ui.validation import problem_text

DEBOUNCE_S = 1.5
_CODE_CLASS = re.compile(r'<code class="language-[^"<>]*">')
MAX_WAIT_S = 15.0
TICK_S = 2.0
_PREFIX = "edit."


def node_text(node_type: str, node_id: int) -> tuple[str, int]:
    """The editable text of a node and the version it was read at."""
    with read_session() as session:
        if node_type == NodeType.video_script:  # issue-14
            from core.services.video import get_script

            script = get_script(session, node_id)
            return script.text, script.version
        lesson = get_lesson(session, node_id)
        if node_type == NodeType.slides:
            return slides_to_text(slides_content(session, node_id)), lesson.slides_version
        return lesson.body_md, lesson.version


def content_for(node_type: str, node_id: int, text: str, session: Any) -> dict[str, Any]:
    if node_type == NodeType.slides:
        return slides_from_text(text)
    if node_type == NodeType.video_script:  # issue-14
        return {"text": text}
    # Outline fields come from the current row: only the body is edited here.
    return {**lesson_content(get_lesson(session, node_id)), "body_md": text}


def _state(key: str, node_type: str, node_id: int) -> dict[str, Any]:
    slot = st.session_state.get(_PREFIX + key)
    if slot is None:
        text, version = node_text(node_type, node_id)
        slot = {
            "node_type": node_type,
            "node_id": node_id,
            "base": text,  # what the editor widget was opened with; stable so typing is not reset
            "saved": text,
            "draft": text,
            "version": version,
            # The widget key carries the version the editor opened at: a reload after a
            # restore, accept or conflict gets a fresh widget instead of the old text.
            "opened": version,
            "changed_at": 0.0,
            "dirty_since": 0.0,
            "conflict": "",
            "invalid": None,
            "saved_at": None,
        }
        st.session_state[_PREFIX + key] = slot
    return slot


def reload(key: str) -> None:
    """Drop local state so the editor reopens on the node's current text."""
    st.session_state.pop(_PREFIX + key, None)


def _save(slot: dict[str, Any]) -> None:
    try:
        with session_scope() as session:
            try:
                content = content_for(slot["node_type"], slot["node_id"], slot["draft"], session)
            except AppError as exc:
                # Text that does not even parse (a deck) is kept verbatim as a draft.
                problems = [f"{e.get('field')}: {e.get('message')}" for e in getattr(exc, "errors", [])]
                draft = keep_draft(
                    session,
                    node_type=slot["node_type"],
                    node_id=slot["node_id"],
                    content={"raw": slot["draft"]},
                    problems=problems or [exc.message],
                    actor=state.actor(),
                )
                result = SaveResult(
                    saved=False,
                    revision_id=id_of(draft),
                    version=slot["version"],
                    problems=problems or [exc.message],
                    errors=list(getattr(exc, "errors", [])),
                )
            else:
                result = save_edit(
                    session,
                    node_type=slot["node_type"],
                    node_id=slot["node_id"],
                    content=content,
                    expected_version=_expected_version(slot, session),
                    actor=state.actor(),
                )
    except AppError as exc:
        slot["invalid"] = list(getattr(exc, "errors", [])) or [exc.message]
        slot["invalid_text"] = slot["draft"]
        return
    if result.problems:
        # Not applied, but kept: the draft revision holds the text until it is fixed. The
        # structured problems are kept so they are said in the language shown when drawn.
        slot["invalid"] = result.errors or _blocked(result) or result.problems
        slot["invalid_text"] = slot["draft"]
        return
    slot["invalid"] = None
    # issue 9: stored but flagged (or redacted) by the content policy: say so next to the editor.
    slot["flagged"] = [f"{f['kind']} ({f['sample']}): {f['action']}" for f in result.findings]
    if result.saved:
        slot.update(saved=slot["draft"], version=result.version, saved_at=time.time(), dirty_since=0.0)
    else:
        # Both texts are kept: ours as a conflict revision, theirs as current. Autosave
        # stops until the author reloads, so no stream of conflict revisions piles up.
        slot["conflict"] = t("conflict", rev=result.revision_id, version=result.version)


def _blocked(result: SaveResult) -> list[dict[str, Any]]:
    if not result.blocked:
        return []
    return [
        {"type": "content_blocked", "ctx": {"what": f"{f['kind']} ({f['sample']})"}, "message": f["kind"]}
        for f in result.findings
        if f.get("action") == "block"
    ]


def _expected_version(slot: dict[str, Any], session: Any) -> int:
    """The version this save is based on. When only a lesson's quiz, exercises or key
    points were saved since (issue 13), the body this editor last saved is still the
    current body: the edit builds on the newest version instead of conflicting."""
    if slot["node_type"] != NodeType.lesson:
        return int(slot["version"])
    lesson = get_lesson(session, slot["node_id"])
    if lesson.version != slot["version"] and lesson.body_md == slot["saved"]:
        return int(lesson.version)
    return int(slot["version"])


def _pending(slot: dict[str, Any]) -> bool:
    return (
        slot["draft"] != slot["saved"]
        and not slot["conflict"]
        and not (slot["invalid"] and slot.get("invalid_text") == slot["draft"])
    )


def flush_all() -> None:
    """Save every pending draft of this session (runs before any page renders)."""
    for name in list(st.session_state.keys()):
        if str(name).startswith(_PREFIX):
            slot = st.session_state[name]
            if _pending(slot):
                _save(slot)


def refresh_if_stale(key: str, node_type: str, node_id: int) -> None:
    """Someone else changed the node while our copy has no unsaved edits: show theirs."""
    slot = st.session_state.get(_PREFIX + key)
    if slot is None or slot["draft"] != slot["saved"] or slot["conflict"]:
        return
    if node_text(node_type, node_id)[1] != slot["version"]:
        reload(key)


def _plain_code(html: str) -> str:
    # issue 19: Streamlit colours `language-*` code with a palette under 4.5:1 on its code
    # background (WCAG 1.4.3); the preview shows code unhighlighted instead.
    return _CODE_CLASS.sub("<code>", html)


def text_editor(*, key: str, node_type: str, node_id: int, preview_md: Any) -> None:
    """Editor on the left, live preview on the right; `preview_md(text) -> markdown`."""
    refresh_if_stale(key, node_type, node_id)

    @st.fragment(run_every=TICK_S)
    def body() -> None:
        slot = _state(key, node_type, node_id)
        left, right = st.columns(2, gap="medium")
        # Keyed wrappers pair this editor with its preview for the scroll sync (ui/scroll.py).
        with left, st.container(key=EDITOR_PREFIX + css_name(key)):
            widget_key = f"{key}-editor-{slot['opened']}"
            if st.session_state.get(state.PLAIN_EDITOR):
                text = st.text_area(t("editor"), value=slot["base"], height=480, key=widget_key + "-plain")
            else:
                text = st_ace(
                    value=slot["base"],
                    # Plain text: ace's Markdown mode closes HTML tags and brackets as you type,
                    # which changes what the author wrote (issue 12).
                    language="plain_text",
                    theme="chrome",
                    wrap=True,
                    min_lines=24,
                    max_lines=40,
                    font_size=14,
                    auto_update=True,
                    key=widget_key,
                )
        now = time.time()
        if text is not None and text != slot["draft"]:
            slot["draft"] = str(text)
            slot["changed_at"] = now
            slot["dirty_since"] = slot["dirty_since"] or now
        idle = now - slot["changed_at"] >= DEBOUNCE_S
        overdue = slot["dirty_since"] and now - slot["dirty_since"] >= MAX_WAIT_S
        if _pending(slot) and (idle or overdue):
            _save(slot)
        with right, st.container(border=True, height=560, key=PREVIEW_PREFIX + css_name(key)):
            st.markdown(_plain_code(render_markdown_safe(preview_md(slot["draft"]))), unsafe_allow_html=True)
        _status_line(key, slot)

    body()
    editor_sync()


def _status_line(key: str, slot: dict[str, Any]) -> None:
    if slot["conflict"]:
        st.error(slot["conflict"])
        if st.button(t("load_latest"), key=f"{key}-reload", type="primary"):
            reload(key)
            st.rerun(scope="app")
    elif slot["invalid"] and slot.get("invalid_text") == slot["draft"]:
        st.warning(
            t("not_saved_invalid")
            + "\n\n"
            + "\n".join(f"- {md_escape(problem_text(p))}" for p in slot["invalid"])
        )
    elif slot["draft"] != slot["saved"]:
        st.caption(":material/edit: " + t("unsaved"))
    elif slot.get("flagged"):
        st.warning(t("content_flagged", items=md_escape("; ".join(slot["flagged"]))), icon=":material/flag:")
    elif slot["saved_at"]:
        st.caption(
            ":material/save: "
            + t("saved_at", time=time.strftime("%H:%M:%S", time.localtime(slot["saved_at"])))
        )
    else:
        st.caption(t("autosave_hint"))

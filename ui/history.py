"""Revision history, diffs between any two revisions, restore, and regeneration proposals."""

from __future__ import annotations

import html

import nh3
import streamlit as st

from core.db import id_of, read_session, session_scope
from core.errors import AppError
from core.llm.repair import summarize
from core.models import Revision
from core.services import generation
from core.services.courses import replanned_written_lessons
from core.services.part_apply import part_content
from core.services.revisions import (
    TEXT_LABELS,
    accept_proposal,
    content_text,
    current_content,
    diff,
    diff_html_inline,
    diff_html_side_by_side,
    get_revision,
    history,
    pending_proposal,
    reject_proposal,
    restore,
)
from ui import editor, state, widgets
from ui.i18n import label, t, tn
from ui.jobs import is_running, job_progress, latest
from ui.jobtext import note_text
from ui.layout import md_escape, show_error
from ui.part_regen import lesson_regenerate_form
from ui.scroll import diff_jump, diff_jump_button
from ui.validation import problem_text

# Static CSS only; no user or model text is ever part of it.
_DIFF_CSS = """<style>
.cs-diff { font-family: ui-monospace, monospace; font-size: 0.85rem; line-height: 1.5;
  white-space: pre-wrap; border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem;
  max-height: 520px; overflow: auto; }
.cs-diff ins { background: #d7f5dd; text-decoration: underline 2px; }
.cs-diff del { background: #fbd9d9; text-decoration: line-through 2px; }
.cs-diff ins::before, .cs-diff del::before { position: absolute; width: 1px; height: 1px;
  overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.cs-diff ins::before { content: " [+] "; }
.cs-diff del::before { content: " [-] "; }
.cs-jump { font: inherit; font-size: 0.875rem; padding: 0.25rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.3); background: #fff; color: #31333f; cursor: pointer; }
.cs-jump:hover, .cs-jump:focus-visible { border-color: #ff4b4b; color: #c01f1f; }
</style>"""
# issue 19: added/removed text differs by underline/strike-through as well as colour, and a
# screen reader hears "[+]"/"[-]" before each change (WCAG 1.4.1 use of colour).


def _diff_html(fragment: str) -> str:
    # core escapes every text already; nh3 is a second layer that keeps only the diff tags.
    return nh3.clean(fragment, tags={"ins", "del", "span", "br"}, attributes={})


def _diff_open(name: str, key: str) -> str:
    # issue 19: the diff box scrolls, so it takes keyboard focus (WCAG 2.1.1) and is a named region.
    region = html.escape(t("a11y_diff_label", name=name), quote=True)
    # data-diff ties the boxes of one diff to its "first change" button (ui/scroll.py).
    return f'<div class="cs-diff" data-diff="{html.escape(key, quote=True)}" tabindex="0" role="region" aria-label="{region}">'


CONTEXT_LINES = 3


def collapse_unchanged(pairs: list[tuple[int, str]], context: int = CONTEXT_LINES) -> list[tuple[int, str]]:
    """Long unchanged runs shrink to their first and last `context` lines around a
    "… N unchanged lines …" marker, so the changes are on screen without scrolling."""
    out: list[tuple[int, str]] = []
    for i, (op, text) in enumerate(pairs):
        lines = text.split("\n")
        keep_head = context if i > 0 else 0  # lines after the previous change
        keep_tail = context if i < len(pairs) - 1 else 0  # lines before the next change
        if op != 0 or len(lines) <= keep_head + keep_tail + 2:
            out.append((op, text))
            continue
        hidden = len(lines) - keep_head - keep_tail
        head = "\n".join(lines[:keep_head])
        tail = "\n".join(lines[len(lines) - keep_tail :])
        marker = t("diff_hidden_lines", n=hidden)
        out.append((0, (head + "\n" if keep_head else "") + f"⋯ {marker} ⋯\n" + tail))
    return out


def first_change_line(pairs: list[tuple[int, str]]) -> int:
    """The line (1-based, in the older text) where the first change starts."""
    line = 1
    for op, text in pairs:
        if op != 0:
            return line
        line += text.count("\n")
    return line


def show_diff(node_type: str, old: dict, new: dict, *, key: str, labels: tuple[str, str]) -> None:
    words = {k: t(f"difftext_{k}") for k in TEXT_LABELS}
    pairs = diff(content_text(node_type, old, words), content_text(node_type, new, words))
    lang = state.lang()
    if all(op == 0 for op, _ in pairs):
        st.caption(t("no_differences"))
        return
    st.html(_DIFF_CSS)
    mode = widgets.choice(
        st.segmented_control,
        t("diff_mode"),
        ["inline", "side"],
        format_func=lambda m: label("diff", m, lang=lang),
        required=True,
        key=f"{key}-mode",
    )
    first = first_change_line(pairs)
    changed = sum(1 for op, _ in pairs if op != 0)
    st.caption(tn("diff_summary_n", changed, line=first))  # "1 changed passage", not "passages"
    # The boxes open at the first change; the button goes back there after scrolling around.
    st.html(diff_jump_button(key, t("diff_jump")))
    diff_jump()
    full = st.toggle(t("diff_show_all"), key=f"{key}-full")
    if not full:
        pairs = collapse_unchanged(pairs)
    if mode == "side":
        left, right = diff_html_side_by_side(pairs)
        a, b = st.columns(2)
        a.caption(labels[0])
        a.html(f"{_diff_open(labels[0], key)}{_diff_html(left)}</div>")
        b.caption(labels[1])
        b.html(f"{_diff_open(labels[1], key)}{_diff_html(right)}</div>")
    else:
        st.caption(f"{labels[0]} → {labels[1]}")
        st.html(
            f"{_diff_open(labels[0] + ' → ' + labels[1], key)}{_diff_html(diff_html_inline(pairs))}</div>"
        )


def _label(rev: Revision, lang: str | None = None) -> str:
    # `lang` is bound when the widget is drawn: format_func may be called outside the run.
    when = rev.created_at.strftime("%Y-%m-%d %H:%M:%S")
    return f"#{rev.id} · {label('source', rev.source, lang=lang)} · {label('rstatus', rev.status, lang=lang)} · {when}"


def repairs_line(parameters: dict) -> str:
    """What the gateway repaired in a generated answer, in one short line (issue 8)."""
    return summarize(list(parameters.get("repairs") or []))


def history_panel(*, node_type: str, node_id: int, key: str, editor_key: str) -> None:
    with read_session() as session:
        revisions = history(session, node_type=node_type, node_id=node_id)
    if not revisions:
        st.caption(t("no_history"))
        return
    st.dataframe(
        [
            {
                "#": r.id,
                t("col_time"): r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                t("col_source"): label("source", r.source),
                t("col_status"): label("rstatus", r.status),
                t("col_author"): r.author,
                t("col_prompt"): f"{r.prompt_id}@{r.prompt_version}" if r.prompt_id else "—",
                t("col_model"): r.model or "—",
                t("col_note"): note_text(r.note),
                t("col_repairs"): repairs_line(r.parameters),
                # issue 9: what the moderation/PII check found when it was stored
                t("col_findings"): ", ".join(f"{f['kind']}: {f['action']}" for f in r.findings or []) or "—",
            }
            for r in revisions
        ],
        hide_index=True,
        height=min(38 * (len(revisions) + 1), 300),
    )
    by_id = {id_of(r): r for r in revisions}
    lang = state.lang()
    ids = list(by_id)
    # Keys carry the newest id: a new revision resets the comparison to newest vs previous.
    a, b = st.columns(2)
    old_id = widgets.choice(
        a.selectbox,
        t("compare_from"),
        ids,
        index=min(1, len(ids) - 1),
        format_func=lambda i: _label(by_id[i], lang),
        key=f"{key}-a-{ids[0]}",
    )
    new_id = widgets.choice(
        b.selectbox,
        t("compare_to"),
        ids,
        index=0,
        format_func=lambda i: _label(by_id[i], lang),
        key=f"{key}-b-{ids[0]}",
    )
    show_diff(
        node_type,
        by_id[old_id].content,
        by_id[new_id].content,
        key=f"{key}-diff",
        labels=(f"#{old_id}", f"#{new_id}"),
    )
    restorable = [i for i in ids if "raw" not in by_id[i].content]
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    chosen = widgets.choice(
        c1.selectbox,
        t("restore_which"),
        restorable,
        format_func=lambda i: _label(by_id[i], lang),
        key=f"{key}-restore-pick",
    )
    if c2.button(t("restore"), key=f"{key}-restore", disabled=chosen is None):
        _restore(int(chosen), node_type=node_type, node_id=node_id, editor_key=editor_key)


def _restore(revision_id: int, *, node_type: str, node_id: int, editor_key: str) -> None:
    try:
        with session_scope() as session:
            # Restoring is an explicit action on what the author sees now: use the current version.
            version = editor.node_text(node_type, node_id)[1]
            result = restore(session, revision_id=revision_id, expected_version=version, actor=state.actor())
    except AppError as exc:
        show_error(exc)
        return
    if result.saved:
        editor.reload(editor_key)
        st.toast(t("restored", rev=revision_id))
        st.rerun()
    # core's message is English (logs, CLI): say the same in the interface language.
    if result.problems:
        st.error(
            t("not_saved_invalid")
            + "\n\n"
            + "\n".join(f"- {md_escape(problem_text(p))}" for p in result.errors or result.problems)
        )
    else:
        st.error(t("conflict", rev=result.revision_id, version=result.version))


def regenerate_panel(
    *, course_id: int, node_type: str, node_id: int, locked: bool, key: str, editor_key: str
) -> None:
    """Start a regeneration job, follow it, then offer its proposal as a diff to accept or reject."""
    job = latest(course_id, (generation.KIND_REGENERATE,))
    mine = (
        job is not None
        and job.payload.get("node_type") == node_type
        and job.payload.get("node_id") == node_id
    )
    if mine and job is not None and (is_running(job) or job.error_code):
        job_progress(id_of(job), key=f"{key}-job")
    with read_session() as session:
        proposal = pending_proposal(session, node_type=node_type, node_id=node_id)
        current = current_content(session, node_type, node_id) if proposal else None
    if proposal is not None and current is not None:
        st.markdown(f"**{t('proposal_ready', rev=proposal.id)}**")
        # Lesson and slide prompts take the instruction outside their variables: the job has it.
        instruction = str(
            proposal.parameters.get("instruction")
            or (job.payload.get("instruction") if mine and job else "")
            or ""
        )
        st.caption(
            t("proposal_instruction", text=md_escape(instruction))
            if instruction
            else t("proposal_no_instruction")
        )
        if proposal.note and proposal.note != instruction:
            st.caption(md_escape(note_text(proposal.note)))
        part = str(proposal.parameters.get("part") or "")
        if part:
            st.caption(t("proposal_part", part=label("regen_what", part)))
        try:
            # issue 13: a part proposal is shown as what accepting it would make of today's lesson.
            proposed = part_content(current, proposal.content, proposal.parameters)
        except AppError as exc:
            st.warning(md_escape(exc.message), icon=":material/warning:")
            proposed = None
        if proposed is not None:
            show_diff(node_type, current, proposed, key=f"{key}-pdiff", labels=(t("current"), t("proposal")))
        if node_type == "module":
            with session_scope(readonly=True) as session:
                replanned = replanned_written_lessons(session, node_id, proposal.content)
            if replanned:
                lines = "\n".join(f"- {md_escape(old)} → {md_escape(new)}" for old, new in replanned)
                st.warning(
                    tn("module_replans_written_n", len(replanned)) + "\n\n" + lines, icon=":material/warning:"
                )
        a, r, _ = st.columns([1, 1, 4])
        if proposed is not None and a.button(t("accept"), key=f"{key}-accept-{proposal.id}", type="primary"):
            _decide(accept_proposal, id_of(proposal), editor_key, t("accepted"))
        if r.button(t("reject"), key=f"{key}-reject-{proposal.id}"):
            _decide(reject_proposal, id_of(proposal), editor_key, t("rejected"))
        return
    if locked:
        st.caption(":material/lock: " + t("locked_no_regen"))
        return
    if mine and is_running(job):
        return
    if node_type == "lesson":
        with session_scope(readonly=True) as session:
            body = str(current_content(session, node_type, node_id).get("body_md") or "")
        lesson_regenerate_form(course_id=course_id, lesson_id=node_id, body=body, key=key)
        return
    with st.form(f"{key}-form", border=False):
        instruction = st.text_input(
            t("instruction"), placeholder=t("instruction_hint"), key=f"{key}-instruction"
        )
        if st.form_submit_button(t("regenerate"), type="primary"):
            try:
                generation.start_regenerate(
                    actor=state.actor(),
                    course_id=course_id,
                    node_type=node_type,
                    node_id=node_id,
                    instruction=instruction or "",
                )
            except AppError as exc:
                show_error(exc)
            else:
                st.rerun()


def _decide(action: object, revision_id: int, editor_key: str, message: str) -> None:
    try:
        with session_scope() as session:
            action(session, revision_id=revision_id, actor=state.actor())  # type: ignore[operator]
    except AppError as exc:
        show_error(exc)
        return
    editor.reload(editor_key)
    st.toast(message)
    st.rerun()


def revision(revision_id: int) -> Revision:
    with read_session() as session:
        return get_revision(session, revision_id)

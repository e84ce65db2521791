"""The Regenerate tab of a lesson: the whole lesson, only its quiz, only its exercises, or
one passage of its text, with the author's request (issue 13). The result is a proposal
the tab then shows as a diff (ui.history.regenerate_panel)."""

from __future__ import annotations

import re

import streamlit as st

from core.errors import AppError
from core.services import generation
from core.services.part_regen import start_regenerate_part
from ui import state, widgets
from ui.i18n import label, t
from ui.layout import show_error

WHAT = ("lesson", "quiz", "exercises", "passage")


def paragraphs(body: str) -> list[tuple[int, int]]:
    """(start, end) of each block of the body (blocks are split at blank lines): what a
    passage is chosen from. Spans, not texts, so a passage of several blocks is the exact
    text between them, whatever spacing the author used."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S(?:.|\n(?![ \t]*\n))*", body)]


def _short(text: str, n: int) -> str:
    line = " ".join(text.split())
    return f"{n}. " + (line if len(line) <= 70 else line[:69] + "…")


def lesson_regenerate_form(*, course_id: int, lesson_id: int, body: str, key: str) -> None:
    lang = state.lang()
    what = widgets.choice(
        st.radio,
        t("regen_what"),
        WHAT,
        format_func=lambda w: label("regen_what", w, lang=lang),
        horizontal=True,
        key=f"{key}-what",
    )
    passage = ""
    if what == "passage":
        spans = paragraphs(body)
        blocks = [body[a:b] for a, b in spans]
        if not blocks:
            st.caption(t("lesson_not_written"))
            return
        a, b = st.columns(2)
        first = widgets.choice(
            a.selectbox,
            t("regen_from"),
            list(range(len(blocks))),
            format_func=lambda i: _short(blocks[i], i + 1),
            key=f"{key}-from",
        )
        first = int(first or 0)
        last = widgets.choice(
            b.selectbox,
            t("regen_to"),
            list(range(first, len(blocks))),
            format_func=lambda i: _short(blocks[i], i + 1),
            key=f"{key}-to",
        )
        last = int(last if last is not None else first)
        passage = body[spans[first][0] : spans[last][1]].strip()
        with st.container(border=True):
            st.caption(t("regen_passage_preview"))
            st.text(passage)
    # The whole-lesson form keeps the keys it always had; each part gets its own.
    suffix = "" if what == "lesson" else f"-{what}"
    with st.form(f"{key}-form{suffix}", border=False):
        instruction = st.text_input(
            # Each choice has its own label, so a person (and a screen reader) hears which one it is.
            t("instruction") if what == "lesson" else t(f"regen_request_{what}"),
            placeholder=t("regen_passage_hint") if what == "passage" else t("instruction_hint"),
            key=f"{key}-instruction{suffix}",
        )
        if st.form_submit_button(t("regenerate"), type="primary"):
            try:
                if what == "lesson":
                    generation.start_regenerate(
                        actor=state.actor(),
                        course_id=course_id,
                        node_type="lesson",
                        node_id=lesson_id,
                        instruction=instruction or "",
                    )
                else:
                    start_regenerate_part(
                        actor=state.actor(),
                        course_id=course_id,
                        lesson_id=lesson_id,
                        part=str(what),
                        instruction=instruction or "",
                        passage=passage,
                    )
            except AppError as exc:
                show_error(exc)
            else:
                st.rerun()

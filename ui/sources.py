"""Sources step (issue 17): upload and paste, the list with facts and warnings, the
extracted text; and, in the lesson editor, each citation beside its source passage."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.db import session_scope
from core.errors import AppError, Code
from core.exporters.html import render_markdown_safe
from core.models import Source
from core.services import sources as source_svc
from core.services.grounding import ShownCitation, edited_since_cited, lesson_citations
from core.sources.convert import PAGE_BREAK
from ui import state
from ui.editor import _plain_code
from ui.i18n import has, t, tn
from ui.text import md_escape

RESULTS = "sources.results"
UPLOAD_ROUND = "sources.upload_round"


def safe_md(text: str) -> None:
    """Source text is user content: sanitized HTML, never raw (no scripts, no remote images)."""
    st.markdown(_plain_code(render_markdown_safe(text)), unsafe_allow_html=True)


def refusal_text(name: str, exc: AppError) -> str:
    details: dict[str, Any] = exc.details if isinstance(exc.details, dict) else {}
    key = f"src_refused_{details.get('reason', '')}"
    values = {k: v for k, v in details.items() if k != "reason"}
    reason = t(key, **values) if has(key) else md_escape(exc.message)
    return t("src_refused", name=md_escape(name), reason=reason)


def warning_text(warning: dict[str, Any] | str) -> str:
    if isinstance(warning, str):
        return md_escape(warning)
    key = f"src_warn_{warning.get('code', '')}"
    values = {k: v for k, v in warning.items() if k not in ("code", "message")}
    return t(key, **values) if has(key) else md_escape(str(warning.get("message", "")))


def _remember(kind: str, text: str) -> None:
    st.session_state.setdefault(RESULTS, []).append((kind, text))


def _add(course_id: int, name: str, fn: Any, **kwargs: Any) -> None:
    try:
        with session_scope() as session:
            fn(session, actor=state.actor(), course_id=course_id, **kwargs)
    except AppError as exc:
        if exc.code == Code.SOURCE_REFUSED:
            _remember("warning", refusal_text(name, exc))
        else:
            _remember("error", md_escape(f"{name}: {exc.message}"))
        return
    _remember("success", t("src_added", name=md_escape(name)))


def upload_panel(course_id: int) -> None:
    round_no = int(st.session_state.get(UPLOAD_ROUND, 0))
    files = st.file_uploader(
        t("src_upload"),
        accept_multiple_files=True,
        key=f"sources-{course_id}-upload-{round_no}",
        help=t("src_upload_help"),
    )
    if st.button(":material/upload_file: " + t("src_add_files"), key="sources-add-files", disabled=not files):
        st.session_state[RESULTS] = []
        for f in files or []:
            _add(course_id, f.name, source_svc.add_source, filename=f.name, data=f.getvalue())
        st.session_state[UPLOAD_ROUND] = round_no + 1  # a fresh uploader: nothing is added twice
        st.rerun()
    with st.expander(":material/content_paste: " + t("src_paste")):
        title = st.text_input(t("src_paste_title"), key=f"sources-{course_id}-paste-title")
        text = st.text_area(t("src_paste_text"), key=f"sources-{course_id}-paste-text", height=160)
        if st.button(t("src_paste_add"), key="sources-paste-add"):
            st.session_state[RESULTS] = []
            _add(course_id, title or t("src_pasted"), source_svc.add_text, title=title, text=text or "")
            st.rerun()
    for kind, text in st.session_state.get(RESULTS, []):
        getattr(st, kind)(text)


def source_list(course_id: int) -> list[Source]:
    with session_scope(readonly=True) as session:
        sources = source_svc.list_sources(session, course_id)
        chunks = {s.id: 0 for s in sources}
        for c in source_svc.course_chunks(session, course_id):
            chunks[c.source_id] = chunks.get(c.source_id, 0) + 1
    if not sources:
        st.info(t("src_none"))
        return sources
    st.subheader(tn("src_count", len(sources)))
    for source in sources:
        with st.container(border=True):
            top = st.columns([5, 1], vertical_alignment="center")
            top[0].markdown(f"**{md_escape(source.name)}**")
            top[0].caption(
                t(
                    "src_facts",
                    kind=t(f"src_kind_{source.kind}"),
                    size=f"{source.size_bytes / 1024:.1f}",
                    pages=source.page_count or "—",
                    lang=t(f"src_lang_{source.language}") if source.language else "—",
                    chunks=chunks.get(source.id, 0),
                    checksum=source.checksum.removeprefix("sha256:")[:12],
                )
            )
            if top[1].button(":material/delete: " + t("src_remove"), key=f"sources-remove-{source.id}"):
                with session_scope() as session:
                    source_svc.delete_source(session, actor=state.actor(), source_id=int(source.id or 0))
                st.rerun()
            for warning in source.warnings:
                st.warning(warning_text(warning), icon=":material/warning:")
            with st.expander(t("src_text")):
                safe_md(source.text_md.replace(PAGE_BREAK, "\n\n---\n\n")[:200_000])
    return sources


def citations_panel(course_id: int, citations: list[ShownCitation]) -> None:
    """Each citation beside its source passage; a lesson with none is flagged."""
    st.markdown("**" + t("src_citations") + "**")
    if not citations:
        st.warning(t("src_unbacked"), icon=":material/report:")
        return
    for n, c in enumerate(citations, 1):
        with st.container(border=True):
            left, right = st.columns(2)
            left.markdown(f"**[{n}]** «{md_escape(c.quote)}»")
            left.caption(t("src_chunk", id=md_escape(c.chunk_id)))
            if c.passage is None:
                right.warning(t("src_passage_gone"))
                continue
            where = c.passage.source_name + (f", {t('src_page', n=c.passage.page)}" if c.passage.page else "")
            right.caption(
                md_escape(where) + (f" — {md_escape(c.passage.heading)}" if c.passage.heading else "")
            )
            with right:
                safe_md(c.passage.text)


def coverage(course_id: int, cited_keys: set[str]) -> None:
    """Which parts of the sources no lesson cites."""
    with session_scope(readonly=True) as session:
        chunks = source_svc.course_chunks(session, course_id)
        names = {s.id: s.name for s in source_svc.list_sources(session, course_id)}
    if not chunks:
        return
    unused = [c for c in chunks if c.key not in cited_keys]
    st.caption(t("src_coverage", used=len(chunks) - len(unused), total=len(chunks)))
    if unused:
        with st.expander(t("src_unused")):
            for c in unused[:200]:
                label = f"{names.get(c.source_id, '')}: {c.heading or c.text[:80]}"
                st.text("• " + " ".join(label.split())[:160])


def course_coverage(course_id: int, lesson_ids: list[int]) -> None:
    """On the Sources step: which passages the written lessons use, once there are lessons."""
    if not lesson_ids:
        return
    with session_scope(readonly=True) as session:
        cited = {c.chunk_id for i in lesson_ids for c in lesson_citations(session, course_id, i)}
    if cited:
        coverage(course_id, cited)


def lesson_sources(course_id: int, lesson_id: int, lesson_ids: list[int]) -> None:
    """The lesson editor's sources panel and the course's coverage; nothing for a course
    without sources (it looks exactly as before)."""
    with session_scope(readonly=True) as session:
        if not source_svc.has_sources(session, course_id):
            return
        citations = lesson_citations(session, course_id, lesson_id)
        cited = {c.chunk_id for i in lesson_ids for c in lesson_citations(session, course_id, i)}
        edited = edited_since_cited(session, lesson_id)
    if edited:
        st.warning(t("src_edited_since"), icon=":material/edit_note:")
    citations_panel(course_id, citations)
    coverage(course_id, cited)

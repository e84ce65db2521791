"""Grounded generation (issue 17): what the outline and lesson prompts get from a course's
sources, and the check that a lesson's citations name given passages and quote them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from core.db import db_retry, session_scope
from core.models import Lesson, NodeType, Revision, RevisionSource, RevisionStatus
from core.schemas import citation_problems
from core.services import sources as source_svc
from core.settings import get_settings
from core.sources.chunking import Chunk
from core.sources.retrieval import Index

_index_lock = threading.Lock()


def outline_variables(course_id: int) -> dict[str, Any]:
    """{} for a course without sources; else the digest and the headings."""
    with session_scope(readonly=True) as session:
        if not source_svc.has_sources(session, course_id):
            return {}
        return {
            "sources_digest": source_svc.digest(session, course_id),
            "source_headings": source_svc.source_headings(session, course_id),
        }


def course_index(course_id: int) -> Index | None:
    """An index over the course's chunks (None without sources)."""

    def read() -> list[Chunk]:
        with session_scope(readonly=True) as session:
            return [
                Chunk(c.key, c.position, c.heading, c.page, c.text)
                for c in source_svc.course_chunks(session, course_id)
            ]

    chunks = db_retry(read, what="reading source chunks")
    return Index.build(chunks) if chunks else None


def lesson_query(variables: dict[str, Any]) -> str:
    objectives = " ".join(str(o) for o in variables.get("objectives") or [])
    # The lesson's own words count double: the module title is shared by its siblings.
    title = str(variables.get("lesson_title") or "")
    return f"{title} {title} {objectives} {variables.get('module_title') or ''}"


def retrieve(index: Index, variables: dict[str, Any], k: int) -> list[Chunk]:
    found = index.search(lesson_query(variables), k)
    if not found:
        # Nothing shares a word with the lesson: the opening passages are still its material.
        found = list(index.chunks[:k])
    return found  # type: ignore[return-value]


def lesson_chunks(ctx: Any, course_id: int, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The passages retrieved for one lesson, as prompt variables; [] without sources.
    The index is built once per job (lessons of a job fan out over threads)."""
    with _index_lock:
        key = f"sources-index:{course_id}"
        if key not in ctx.memo:
            ctx.memo[key] = course_index(course_id)
        index = ctx.memo[key]
    if index is None:
        return []
    found = retrieve(index, variables, get_settings().SOURCE_CHUNKS_PER_LESSON)
    return source_svc.chunk_dicts(found)


def citation_check(chunks: list[dict[str, Any]]) -> Callable[[Any], list[str]]:
    texts = {c["id"]: c["text"] for c in chunks}

    def check(lesson: Any) -> list[str]:
        return citation_problems(lesson.citations, texts)

    return check


# ------------------------------------------------------------------ review


@dataclass(frozen=True)
class ShownCitation:
    chunk_id: str
    quote: str
    passage: source_svc.CitedPassage | None  # None: the chunk is gone (its source was removed)


def lesson_citations(session: Session, course_id: int, lesson_id: int) -> list[ShownCitation]:
    """The citations of a lesson's newest grounded text: the current revision's, or, when
    the author edited it since, those of the last generated revision that had them."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        return []
    revs = session.exec(
        select(Revision)
        .where(Revision.node_type == NodeType.lesson, Revision.node_id == lesson_id)
        .order_by(col(Revision.id).desc())
    ).all()
    current = next((r for r in revs if r.id == lesson.current_revision_id), None)
    chosen = current if current is not None and current.content.get("citations") else None
    if chosen is None:
        chosen = next(
            (r for r in revs if r.content.get("citations") and r.status == RevisionStatus.current), None
        )
    raw = list(chosen.content.get("citations") or []) if chosen is not None else []
    found = source_svc.passages(session, course_id, [str(c.get("chunk_id")) for c in raw])
    return [
        ShownCitation(str(c.get("chunk_id")), str(c.get("quote")), found.get(str(c.get("chunk_id"))))
        for c in raw
    ]


def edited_since_cited(session: Session, lesson_id: int) -> bool:
    """The lesson's current text is not the one its citations were checked against (an
    author edited it since): its citations may no longer back what it says."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None or lesson.current_revision_id is None:
        return False
    current = session.get(Revision, lesson.current_revision_id)
    # An edit carries the citations along unchecked (or drops them): either way the text
    # they were validated against is gone.
    return (
        current is not None
        and current.source == RevisionSource.edited
        and bool(lesson_citations(session, lesson.course_id, lesson_id))
    )

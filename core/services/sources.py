"""Sources of a course (issue 17): add (upload or pasted text), list, remove, chunks.

A source is converted and chunked before anything is written, and written in the
caller's one transaction: a refused or failed file leaves nothing behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.errors import AppError, Code
from core.models import Source, SourceChunk
from core.services.courses import get_course
from core.settings import get_settings
from core.sources import chunking
from core.sources.convert import Converted, convert, refuse


@dataclass(frozen=True)
class CitedPassage:
    """What a citation points at, for the editor and exports."""

    key: str
    source_name: str
    heading: str
    page: int | None
    text: str


def has_sources(session: Session, course_id: int) -> bool:
    return session.exec(select(Source.id).where(Source.course_id == course_id)).first() is not None


def list_sources(session: Session, course_id: int) -> list[Source]:
    return list(session.exec(select(Source).where(Source.course_id == course_id).order_by(col(Source.id))))


def course_chunks(session: Session, course_id: int) -> list[SourceChunk]:
    return list(
        session.exec(
            select(SourceChunk)
            .where(SourceChunk.course_id == course_id)
            .order_by(col(SourceChunk.source_id), col(SourceChunk.position))
        )
    )


def passages(session: Session, course_id: int, keys: list[str]) -> dict[str, CitedPassage]:
    if not keys:
        return {}
    rows = session.exec(
        select(SourceChunk, Source.name)
        .join(Source, col(Source.id) == col(SourceChunk.source_id))
        .where(SourceChunk.course_id == course_id, col(SourceChunk.key).in_(keys))
    ).all()
    return {c.key: CitedPassage(c.key, name, c.heading, c.page, c.text) for c, name in rows}


def add_source(session: Session, *, actor: Actor, course_id: int, filename: str, data: bytes) -> Source:
    """Convert, check the course's limits, store the source and its chunks."""
    require(actor, Can.edit)
    get_course(session, course_id)
    name = (filename or "").strip()[:255] or "source"
    converted = convert(data, name)
    return _store(session, actor=actor, course_id=course_id, name=name, converted=converted)


def add_text(session: Session, *, actor: Actor, course_id: int, title: str, text: str) -> Source:
    """Pasted text, kept as Markdown."""
    name = (title or "").strip()[:200] or "pasted text"
    if not text.strip():
        raise refuse("the pasted text is empty", "empty")
    return add_source(session, actor=actor, course_id=course_id, filename=f"{name}.md", data=text.encode())


def _store(session: Session, *, actor: Actor, course_id: int, name: str, converted: Converted) -> Source:
    settings = get_settings()
    same = session.exec(
        select(Source).where(Source.course_id == course_id, Source.checksum == converted.checksum)
    ).first()
    if same is not None:
        raise refuse(
            f"this file is already a source of the course, as {same.name!r}", "duplicate", name=same.name
        )
    used = session.exec(
        select(func.coalesce(func.sum(Source.size_bytes), 0)).where(Source.course_id == course_id)
    ).one()
    limit = int(settings.SOURCE_MAX_TOTAL_MB * 1024 * 1024)
    if int(used) + converted.size_bytes > limit:
        raise refuse(
            f"the course's sources would total {(int(used) + converted.size_bytes) / 1048576:.1f} MB; "
            f"the limit is {settings.SOURCE_MAX_TOTAL_MB:g} MB per course (remove a source first)",
            "total_size",
            limit=f"{settings.SOURCE_MAX_TOTAL_MB:g}",
        )
    pieces = chunking.split(converted.text_md, converted.checksum, paged=converted.kind in ("pdf", "pptx"))
    source = Source(
        course_id=course_id,
        name=name,
        kind=converted.kind,
        checksum=converted.checksum,
        size_bytes=converted.size_bytes,
        page_count=converted.page_count,
        language=converted.language,
        text_md=converted.text_md,
        warnings=list(converted.warnings),
        created_by=actor.label,
    )
    session.add(source)
    try:
        session.flush()
    except IntegrityError as exc:
        # The same file added at the same moment by someone else: the unique key decides.
        raise refuse("this file is already a source of the course", "duplicate", name=name) from exc
    for piece in pieces:
        session.add(
            SourceChunk(
                course_id=course_id,
                source_id=int(source.id or 0),
                key=piece.key,
                position=piece.position,
                heading=piece.heading,
                page=piece.page,
                text=piece.text,
            )
        )
    session.flush()
    return source


def delete_source(session: Session, *, actor: Actor, source_id: int) -> None:
    require(actor, Can.edit)
    source = session.get(Source, source_id)
    if source is None:
        raise AppError(Code.NOT_FOUND, f"source {source_id} not found")
    session.execute(delete(SourceChunk).where(col(SourceChunk.source_id) == source_id))
    session.delete(source)


def digest(session: Session, course_id: int, *, max_chars: int = 6000) -> str:
    """What the outline prompt sees: each source's name and headings, with an opening line
    of each section, cut to a budget so large sources stay affordable."""
    items = [
        (
            source.name,
            source.kind,
            source.page_count,
            [c for c in course_chunks(session, course_id) if c.source_id == source.id],
        )
        for source in list_sources(session, course_id)
    ]
    return digest_of(items, max_chars=max_chars)


def digest_of(items: list[tuple[str, str, int, list[Any]]], *, max_chars: int = 6000) -> str:
    """The digest of (name, kind, pages, chunks) sources; chunks need heading and text."""
    lines: list[str] = []
    for name, kind, pages, chunks in items:
        lines.append(f"Source: {name} ({kind}, {pages or '?'} pages)")
        seen: set[str] = set()
        for chunk in chunks:
            if chunk.heading and chunk.heading not in seen:
                seen.add(chunk.heading)
                lines.append(f"- {chunk.heading}: {_first_sentence(chunk.text)}")
    return "\n".join(lines)[:max_chars]


def _first_sentence(text: str) -> str:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    sentence = re.split(r"(?<=[.!?])\s", " ".join(body.split()), maxsplit=1)[0]
    return sentence[:200]


def source_headings(session: Session, course_id: int) -> list[str]:
    """Distinct section headings in source order (the offline outline plans from them)."""
    out: list[str] = []
    for chunk in course_chunks(session, course_id):
        if chunk.heading and chunk.heading not in out:
            out.append(chunk.heading)
    return out


def chunk_dicts(chunks: list[Any]) -> list[dict[str, Any]]:
    """Chunks as prompt variables: id, where from, text."""
    return [{"id": c.key, "heading": c.heading, "page": c.page, "text": c.text} for c in chunks]

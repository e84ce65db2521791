"""issue-17: each lesson's cited source passages, attached to the export document.

A course without sources gets nothing (the field stays None and is left out of JSON), so
its exports are byte-for-byte what they were.
"""

from __future__ import annotations

from sqlmodel import Session

from core.exporters.document import CourseExport, ExportSource


def attach_sources(session: Session, doc: CourseExport) -> None:
    from core.services.grounding import lesson_citations
    from core.services.sources import has_sources

    course_id = doc.course.id
    if course_id is None or not has_sources(session, course_id):
        return
    for lesson in doc.course.lessons:
        if lesson.id is None:
            continue
        lesson.sources = [
            ExportSource(
                chunk_id=c.chunk_id,
                quote=c.quote,
                source=(c.passage.source_name if c.passage else "?")[:200],
                heading=c.passage.heading if c.passage else "",
                page=c.passage.page if c.passage else None,
            )
            for c in lesson_citations(session, course_id, lesson.id)
        ]


def source_line(item: ExportSource, page_label: str) -> str:
    """ "handbook.pdf, p. 3 — Annual leave: “quote”" in the course language's page label."""
    where = item.source + (f", {page_label} {item.page}" if item.page else "")
    heading = f" — {item.heading}" if item.heading else ""
    return f"{where}{heading}: “{item.quote}”"

"""The accessibility report of a stored course, and the warnings an export job records.

The report itself is `core.exporters.a11y.accessibility_report`, a pure function; this
module only reads the course (and the PPTX template's colours) to feed it.
"""

from __future__ import annotations

import io
from pathlib import Path

from sqlmodel import Session

from core.exporters.a11y import Report, TemplateColours, accessibility_report
from core.exporters.document import build_document
from core.exporters.pptx import accessibility_problems, template_colours
from core.services.courses import load_course


def course_report(session: Session, course_id: int, template: str | Path | bytes | None = None) -> Report:
    """The report for a course; with a PPTX template, its colours are checked too."""
    doc = build_document(load_course(session, course_id))
    colours: TemplateColours | None = template_colours(template) if template is not None else None
    return accessibility_report(doc, colours)


def export_warnings(
    session: Session, course_id: int, fmt: str, data: bytes, template: str | Path | None = None
) -> list[str]:
    """What an export could not make accessible, in plain words for the job's record.

    Author findings apply to the formats that render the Markdown (HTML, SCORM, PPTX);
    a PPTX is also checked as built (titles, notes, alt text on pictures)."""
    if fmt not in ("html", "scorm", "pptx"):
        return []
    report = course_report(session, course_id, template if fmt == "pptx" else None)
    relevant = {
        "html": ("image_alt", "link_text", "quiz"),
        "scorm": ("image_alt", "link_text", "quiz"),
        "pptx": ("slide_titles", "slide_notes", "template_contrast"),
    }[fmt]
    warnings = [f.message for f in report.needs_author if f.check in relevant]
    if fmt == "pptx":
        from pptx import Presentation

        warnings += accessibility_problems(Presentation(io.BytesIO(data)))
    return warnings

"""Exporters: pure functions of a stored course, one module per format.

`export_course` reads the course once (`load_course`), builds the canonical document for
the profile, and hands it to the format's function. Nothing here writes to the database;
import lives in `json_export.import_course_json`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from core import instrument
from core.errors import AppError, Code
from core.exporters.document import CourseExport, Profile, build_document
from core.exporters.html import export_html
from core.exporters.json_export import export_json, import_course_json
from core.exporters.markdown import export_markdown, export_mdx
from core.exporters.names import slugify
from core.exporters.pptx import export_pptx
from core.exporters.render import render_inline_safe, render_markdown_safe
from core.exporters.scorm import export_scorm
from core.services.courses import load_course

__all__ = [
    "EXPORTERS",
    "Exporter",
    "Profile",
    "export_course",
    "export_document",
    "import_course_json",
    "render_inline_safe",
    "render_markdown_safe",
]


@dataclass(frozen=True)
class Exporter:
    name: str
    label: str
    extension: str
    mime: str
    render: Callable[[CourseExport], bytes]
    uses_template: bool = False


def _pptx(doc: CourseExport, template_path: str | Path | None = None) -> bytes:
    return export_pptx(doc, template_path)


EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter("json", "JSON (canonical, importable)", "json", "application/json", export_json),
        Exporter("md", "Markdown (ZIP)", "md.zip", "application/zip", export_markdown),
        Exporter("mdx", "MDX (ZIP)", "mdx.zip", "application/zip", export_mdx),
        Exporter("html", "HTML site (ZIP)", "html.zip", "application/zip", export_html),
        Exporter(
            "pptx",
            "PowerPoint with speaker notes",
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _pptx,
            uses_template=True,
        ),
        Exporter("scorm", "SCORM 1.2 package (ZIP)", "scorm12.zip", "application/zip", export_scorm),
    )
}


def file_stem(title: str, course_id: int) -> str:
    slug = slugify(title, 60)  # issue-12: Cyrillic is transliterated, not stripped
    return f"course-{course_id}" + (f"-{slug}" if slug else "")


def export_document(doc: CourseExport, fmt: str, template_path: str | Path | None = None) -> bytes:
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise AppError(
            Code.VALIDATION, f"unknown export format {fmt!r}; choose one of {', '.join(EXPORTERS)}"
        )
    if exporter.uses_template:
        return _pptx(doc, template_path)
    return exporter.render(doc)


@instrument.traced_export
def export_course(
    session: Session,
    course_id: int,
    fmt: str,
    profile: Profile | str = Profile.minimal,
    template_path: str | Path | None = None,
) -> tuple[bytes, str, str]:
    """Export a stored course: (file bytes, suggested file name, MIME type)."""
    if fmt not in EXPORTERS:
        raise AppError(
            Code.VALIDATION, f"unknown export format {fmt!r}; choose one of {', '.join(EXPORTERS)}"
        )
    try:
        profile = Profile(profile)
    except ValueError as exc:
        choices = ", ".join(p.value for p in Profile)
        raise AppError(Code.VALIDATION, f"unknown profile {profile!r}; choose one of {choices}") from exc
    course = load_course(session, course_id)
    doc = build_document(course, profile)
    from core.exporters.videos import attach_videos  # issue-14

    attach_videos(session, doc)
    from core.exporters.sources import attach_sources  # issue-17

    attach_sources(session, doc)
    exporter = EXPORTERS[fmt]
    data = export_document(doc, fmt, template_path)
    suffix = "" if profile is Profile.minimal else f"-{profile.value}"
    return data, f"{file_stem(course.title, course.id)}{suffix}.{exporter.extension}", exporter.mime

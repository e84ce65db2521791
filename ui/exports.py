"""The export formats that exist in this build. Each format arrives with its own issue;
the Export page lists whichever of these modules/functions are present."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from core.db import session_scope
from core.services.courses import load_course


@dataclass(frozen=True)
class ExportFormat:
    name: str
    module: str
    function: str  # fn(CourseExport) -> bytes
    file_ext: str
    mime: str


FORMATS = (
    ExportFormat("JSON", "core.exporters.json_export", "export_json", "json", "application/json"),
    ExportFormat("Markdown", "core.exporters.markdown", "export_markdown", "zip", "application/zip"),
    ExportFormat("HTML (ZIP)", "core.exporters.html", "export_html", "zip", "application/zip"),
    ExportFormat(
        "PPTX",
        "core.exporters.pptx",
        "export_pptx",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ExportFormat("SCORM (ZIP)", "core.exporters.scorm", "export_scorm", "zip", "application/zip"),
)


def exporter(fmt: ExportFormat) -> Callable[..., bytes] | None:
    try:
        module = importlib.import_module(fmt.module)
    except ImportError:
        return None
    fn = getattr(module, fmt.function, None)
    return fn if callable(fn) else None


def build(fmt: ExportFormat, course_id: int, profile: str) -> bytes:
    from core.exporters.document import build_document

    fn = exporter(fmt)
    if fn is None:
        raise LookupError(fmt.name)
    with session_scope() as session:
        doc = build_document(load_course(session, course_id), profile)
    return fn(doc)

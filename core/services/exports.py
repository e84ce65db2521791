"""Exports as jobs: a course file is built by a job and written under FILES_DIR/exports.

The page starts a job per format and offers the file once the job has succeeded; a
reload finds the newest export job of each format again. Uploaded PPTX templates are
checked (a .pptx python-pptx can open) before a job exists and stored by content hash;
whether the template has the layouts the export needs is the job's business, so the
job fails with the missing layouts listed.

Files live on the local disk of the process that ran the job: with RQ workers on other
machines, FILES_DIR (a setting) must be a shared volume.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.db import session_scope
from core.errors import AppError, Code
from core.exporters import EXPORTERS, Profile, export_course
from core.exporters.zipping import make_zip
from core.jobs import JobContext, start_job
from core.models import Job, JobStatus
from core.services.accessibility import export_warnings
from core.services.courses import CourseDoc, get_course
from core.settings import get_settings

KIND_EXPORT = "export"
ALL_FORMATS = "all"  # issue-12: every format in one ZIP, one job
TEMPLATE_SUFFIX = ".pptx"
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024


def exports_dir() -> Path:
    return get_settings().FILES_DIR / "exports"


def templates_dir() -> Path:
    return get_settings().FILES_DIR / "templates"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _check_choice(value: str, allowed: list[str], what: str) -> str:
    if value not in allowed:
        raise AppError(
            Code.VALIDATION, f"unknown export {what} {value!r}; choose one of {', '.join(allowed)}"
        )
    return value


def save_template(data: bytes, name: str) -> Path:
    """Keep an uploaded PPTX template under FILES_DIR/templates/<sha256>.pptx."""
    if not name.lower().endswith(TEMPLATE_SUFFIX):
        raise AppError(
            Code.VALIDATION,
            f"the template {name!r} is not a .pptx file; upload a PowerPoint (.pptx) template",
        )
    if not data or len(data) > MAX_TEMPLATE_BYTES:
        raise AppError(
            Code.VALIDATION,
            f"the template {name!r} is empty or larger than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MB",
        )
    from pptx import Presentation

    from core.safe_input import check_zip

    check_zip(data, what=f"the template {name!r}")  # issue 10: before python-pptx inflates it
    try:
        Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises several types for a broken file
        raise AppError(
            Code.VALIDATION, f"the template {name!r} cannot be opened as a PowerPoint file: {exc}"
        ) from exc
    path = templates_dir() / f"{hashlib.sha256(data).hexdigest()}{TEMPLATE_SUFFIX}"
    if not path.exists():
        _write_atomically(path, data)
    return path


def prune_exports(now: float | None = None) -> int:
    """Delete export files older than EXPORT_RETENTION_DAYS; the job rows stay as history."""
    import shutil
    import time

    root = exports_dir()
    if not root.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - get_settings().EXPORT_RETENTION_DAYS * 86400
    removed = 0
    for folder in root.glob("job-*"):
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def start_export(
    *,
    actor: Actor,
    course_id: int,
    fmt: str,
    profile: str,
    template: bytes | None = None,
    template_name: str | None = None,
) -> Job:
    """Check the request (format, profile, template) and start an export job; while an
    export of the same format and profile runs for the course, that job is returned (a
    double click never builds twice). `fmt="all"` builds every format into one ZIP."""
    require(actor, Can.generate)
    _check_choice(fmt, [*EXPORTERS, ALL_FORMATS], "format")
    _check_choice(str(profile), [p.value for p in Profile], "profile")
    with session_scope(readonly=True) as session:
        get_course(session, course_id)  # NotFound before a job exists
    prune_exports()
    with session_scope(readonly=True) as session:
        running = _running_export(session, course_id=course_id, fmt=fmt, profile=str(profile))
    if running is not None:
        return running
    payload: dict[str, Any] = {"fmt": fmt, "profile": str(profile)}
    if template is not None and (fmt == ALL_FORMATS or EXPORTERS[fmt].uses_template):
        payload["template_path"] = str(save_template(template, template_name or "template.pptx"))
    return start_job(kind=KIND_EXPORT, actor=actor, course_id=course_id, payload=payload)


def _running_export(session: Session, *, course_id: int, fmt: str, profile: str) -> Job | None:
    # issue-12: per format, so Prepare on JSON never hands back a running PPTX job. Two
    # sessions clicking in the same instant can still both start one; issue-10's unique
    # job index is what closes that race across processes.
    query = (
        select(Job)
        .where(
            Job.course_id == course_id,
            Job.kind == KIND_EXPORT,
            col(Job.status).in_((JobStatus.queued, JobStatus.running)),
        )
        .order_by(col(Job.id).desc())
    )
    return next(
        (
            j
            for j in session.exec(query)
            if j.payload.get("fmt") == fmt and j.payload.get("profile") == profile
        ),
        None,
    )


def incomplete_lessons(course: CourseDoc) -> list[tuple[str, str]]:
    """(number and title, status) of every lesson an export would carry without its text:
    not written yet or only a draft. The Export page lists them before building."""
    out = []
    for mi, module in enumerate(course.modules, 1):
        for li, lesson in enumerate(module.lessons, 1):
            if lesson.detail_status != "generated" or not lesson.body_md:
                out.append((f"{mi}.{li} {lesson.title}", lesson.detail_status))
    return out


def run_export(ctx: JobContext) -> dict[str, Any]:
    fmt = str(ctx.payload["fmt"])
    profile = str(ctx.payload.get("profile") or Profile.minimal.value)
    template_path = ctx.payload.get("template_path")
    if ctx.course_id is None:
        raise AppError(Code.VALIDATION, "an export job needs a course")
    warnings: list[str] = []
    if fmt == ALL_FORMATS:
        data, filename, mime, warnings = _build_all(ctx, profile, template_path)
    else:
        ctx.set_steps([("build", f"Build {EXPORTERS[fmt].label}"), ("write", "Write the file")])
        ctx.step("build", "running")
        try:
            with session_scope(readonly=True) as session:
                data, filename, mime = export_course(session, ctx.course_id, fmt, profile, template_path)
        except AppError as exc:
            ctx.step("build", "failed", exc.message)
            raise
        # issue 19: what the export could not make accessible is a warning, never a failure
        with session_scope(readonly=True) as session:
            warnings = export_warnings(session, ctx.course_id, fmt, data, template_path)
        ctx.step("build", "done", _build_detail(data, warnings))
    ctx.check_cancel()
    path = exports_dir() / f"job-{ctx.job_id}" / filename
    _write_atomically(path, data)
    ctx.step("write", "done", filename)
    return {
        "path": str(path),
        "filename": filename,
        "mime": mime,
        "size": len(data),
        "a11y_warnings": warnings,
    }


def _build_detail(data: bytes, warnings: list[str]) -> str:
    detail = f"{len(data)} bytes"
    if warnings:
        detail += f"; {len(warnings)} accessibility warning(s): " + "; ".join(warnings[:3])
    return detail[:1000]


def _build_all(ctx: JobContext, profile: str, template_path: str | None) -> tuple[bytes, str, str, list[str]]:
    """Every format, one step each, packed into one ZIP (issue-12 "Export all"); with the
    accessibility warnings of every format in it (issue 19), each named by its format."""
    assert ctx.course_id is not None
    ctx.set_steps(
        [*((f"build:{n}", f"Build {e.label}") for n, e in EXPORTERS.items()), ("write", "Write the file")]
    )
    files: dict[str, bytes] = {}
    warnings: list[str] = []
    stem = ""
    for name in EXPORTERS:
        ctx.check_cancel()
        ctx.step(f"build:{name}", "running")
        try:
            with session_scope(readonly=True) as session:
                data, filename, _mime = export_course(session, ctx.course_id, name, profile, template_path)
        except AppError as exc:
            ctx.step(f"build:{name}", "failed", exc.message)
            raise
        with session_scope(readonly=True) as session:
            found = export_warnings(session, ctx.course_id, name, data, template_path)
        warnings += [f"{name}: {w}" for w in found]
        files[filename] = data
        stem = stem or filename.split(".", 1)[0]
        ctx.step(f"build:{name}", "done", _build_detail(data, found))
    return make_zip(files), f"{stem}-all.zip", "application/zip", warnings


def latest_export(session: Session, *, course_id: int, fmt: str) -> Job | None:
    """The newest export job of one format for a course (what a page shows after a reload)."""
    query = (
        select(Job)
        .where(Job.course_id == course_id, Job.kind == KIND_EXPORT)
        .order_by(col(Job.id).desc())
        .limit(200)
    )
    return next((job for job in session.exec(query) if job.payload.get("fmt") == fmt), None)


def export_path(job: Job) -> Path | None:
    """Where a succeeded export job's file is, if it is still there."""
    if job.kind != KIND_EXPORT or job.status != JobStatus.succeeded:
        return None
    filename = Path(str(job.result.get("filename") or "")).name
    if not filename:
        return None
    # Rebuilt from the job id rather than trusted from the row, so it stays inside exports/.
    path = exports_dir() / f"job-{job.id}" / filename
    return path if path.is_file() else None


def export_file(job: Job) -> tuple[bytes, str, str] | None:
    """A finished export's (bytes, file name, MIME type); None if it is not ready or gone."""
    path = export_path(job)
    if path is None:
        return None
    return path.read_bytes(), path.name, str(job.result.get("mime") or "application/octet-stream")

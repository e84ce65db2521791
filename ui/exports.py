"""Export and import glue: one row per export format (start a job, follow it, download the
file), the template uploader, and the course-JSON import box of the Courses page."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.db import id_of, session_scope
from core.errors import AppError
from core.exporters import Exporter, import_course_json
from core.exporters.json_export import ImportInvalid
from core.models import CourseStep, Job, JobStatus
from core.services.courses import touch
from core.services.exports import ALL_FORMATS, export_file, export_path, latest_export, start_export
from ui import state
from ui.i18n import label, t
from ui.jobs import job_progress, load_job
from ui.layout import md_escape, show_error, started
from ui.validation import phrase

PROFILES = ("minimal", "full")
TEMPLATE_KEY = "export-template"
IMPORT_NONCE = "courses-import-nonce"


def job_key(course_id: int, fmt: str) -> str:
    return f"export-{course_id}-{fmt}-job"


def current_job(course_id: int, fmt: str) -> Job | None:
    """This session's export job of a format, else the newest one (after a reload)."""
    job_id = st.session_state.get(job_key(course_id, fmt))
    if job_id is not None:
        try:
            return load_job(int(job_id))
        except AppError:
            st.session_state.pop(job_key(course_id, fmt), None)
    with session_scope(readonly=True) as session:
        job = latest_export(session, course_id=course_id, fmt=fmt)
    if job is not None:
        st.session_state[job_key(course_id, fmt)] = id_of(job)
    return job


def template_uploader() -> UploadedFile | None:
    file = st.file_uploader(t("pptx_template"), type=["pptx"], key=TEMPLATE_KEY, help=t("pptx_template_help"))
    return file if isinstance(file, UploadedFile) else None


def _prepare(course_id: int, exporter: Exporter, profile: str, template: UploadedFile | None) -> None:
    upload = template if exporter.uses_template else None
    # A refusal's message can quote the uploaded file's name: show_error keeps it escaped.
    job = started(
        start_export,
        remember=job_key(course_id, exporter.name),
        actor=state.actor(),
        course_id=course_id,
        fmt=exporter.name,
        profile=profile,
        template=upload.getvalue() if upload else None,
        template_name=upload.name if upload else None,
    )
    if job is None:
        return
    with session_scope() as session:
        touch(session, course_id, step=CourseStep.export)


def _download(job: Job, key: str) -> None:
    path = export_path(job)
    if path is None:
        st.caption(t("export_file_gone"))
        return

    def data() -> bytes:
        found = export_file(job)
        return found[0] if found else b""

    st.download_button(
        t("download_file", name=path.name),
        data,
        file_name=path.name,
        mime=str(job.result.get("mime") or "application/octet-stream"),
        key=key,
        type="primary",
        icon=":material/download:",
        on_click="ignore",
    )


# "Export all": every format in one job and one ZIP (core.services.exports._build_all).
ALL_EXPORTER = Exporter(
    ALL_FORMATS, "All formats (ZIP)", "zip", "application/zip", lambda doc: b"", uses_template=True
)


def export_row(course_id: int, exporter: Exporter, profile: str, *, enabled: bool = True) -> None:
    """One format: its name, a Prepare button, the job's progress and the download. The
    PPTX row also takes an optional template."""
    key = f"export-{course_id}-{exporter.name}"
    with st.container(border=True):
        name_col, action_col = st.columns([3, 2], vertical_alignment="center")
        name_col.markdown(f"**{label('format', exporter.name)}**")
        name_col.caption(t("export_ext", ext=exporter.extension))
        template = None
        if exporter.uses_template and exporter.name != ALL_FORMATS:
            with name_col:
                template = template_uploader()
        elif exporter.name == ALL_FORMATS:
            template = st.session_state.get(TEMPLATE_KEY)  # the PPTX row's template, if any
            template = template if isinstance(template, UploadedFile) else None
        if action_col.button(
            t("prepare"), key=f"{key}-prepare", icon=":material/build:", disabled=not enabled
        ):
            _prepare(course_id, exporter, profile, template)
        job = current_job(course_id, exporter.name)
        if job is None:
            return
        job = job_progress(id_of(job), key=key)
        if job.status == JobStatus.succeeded:
            _download(job, key=f"{key}-download-{job.id}")


def import_box() -> int | None:
    """A course JSON (the canonical export) in, a new course out; every problem listed."""
    nonce = int(st.session_state.get(IMPORT_NONCE, 0))
    with st.expander("📥 " + t("import_course"), expanded=False):
        st.caption(t("import_hint"))
        file = st.file_uploader(t("course_json"), type=["json"], key=f"courses-import-file-{nonce}")
        clicked = st.button(
            t("import"), key="courses-import", icon=":material/upload:", disabled=file is None
        )
        if not clicked or not isinstance(file, UploadedFile):
            return None
        try:
            with session_scope() as session:
                course_id = import_course_json(session, file.getvalue(), actor=state.actor())
        except ImportInvalid as exc:
            problems = [f"- {md_escape(e.get('field') or '—')}: {md_escape(phrase(e))}" for e in exc.errors]
            st.error(t("import_failed", n=len(exc.errors)) + "\n\n" + "\n".join(problems))
            return None
        except AppError as exc:
            show_error(exc)
            return None
    st.session_state[IMPORT_NONCE] = nonce + 1  # a fresh, empty uploader
    return course_id

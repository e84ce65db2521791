"""Job progress: a fragment that polls the jobs table while a job runs, then stops."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.auth import Can
from core.db import session_scope
from core.errors import AppError
from core.jobs import get_job, latest_job, request_cancel, retry_job
from core.models import Job, JobStatus
from ui import state
from ui.i18n import t
from ui.layout import md_escape, show_error

POLL_SECONDS = 1.5
STATUS_ICON = {
    "queued": "⏳",
    "running": "🔄",
    "succeeded": "✅",
    "failed": "❌",
    "canceled": "⛔",
    "partial": "⚠️",
    "done": "✅",
    "draft": "📝",
    "skipped": "⏭️",
}


def load_job(job_id: int) -> Job:
    with session_scope() as session:
        return get_job(session, job_id)


def latest(course_id: int, kinds: tuple[str, ...]) -> Job | None:
    with session_scope() as session:
        return latest_job(session, course_id=course_id, kinds=kinds)


def is_running(job: Job | None) -> bool:
    return job is not None and not JobStatus(job.status).finished


def status_label(status: str) -> str:
    return f"{STATUS_ICON.get(status, '•')} {t('status_' + status)}"


def steps_table(steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            t("col_step"): str(s.get("label") or s.get("name")),
            t("col_status"): status_label(str(s.get("status", ""))),
            t("col_detail"): str(s.get("detail") or ""),
        }
        for s in steps
    ]


def job_counts(result: dict[str, Any]) -> str:
    """Written, drafts, skipped and failed counts of a lessons/slides/course job."""
    return t(
        "job_counts",
        written=int(result.get("written", 0)),
        drafts=int(result.get("drafts", 0)),
        skipped=int(result.get("skipped", 0)),
        failed=int(result.get("failed", 0)),
    )


def render_job(job: Job, *, key: str, expanded_steps: bool = False) -> None:
    """Status, progress bar, step list, error and the cancel/retry actions of one job."""
    done = sum(1 for s in job.steps if s.get("status") in ("done", "skipped", "draft"))
    st.markdown(f"**{t('kind_' + job.kind)}** · #{job.id} · {status_label(job.status)}")
    st.progress(
        min(1.0, max(0.0, float(job.progress))),
        text=t("steps_done", done=done, total=len(job.steps), pct=round(100 * job.progress)),
    )
    running = [s for s in job.steps if s.get("status") == "running"]
    if running:
        st.caption(t("now_running", what=md_escape(", ".join(str(s.get("label")) for s in running[:4]))))
    if isinstance(job.result, dict) and "written" in job.result:
        st.caption(job_counts(job.result))
    if job.error_code and job.status == JobStatus.partial:
        st.warning(f"{job.error_code}: {md_escape(job.error_detail or '')}")
    elif job.error_code:
        st.error(f"{job.error_code}: {md_escape(job.error_detail or '')}")
    if job.steps:
        with st.expander(t("step_list", n=len(job.steps)), expanded=expanded_steps):
            st.dataframe(steps_table(job.steps), hide_index=True)
    cols = st.columns([1, 1, 4])
    may_act = state.actor().can(Can.jobs)  # issue 9: analysts read jobs; core refuses them too
    if is_running(job) and cols[0].button(t("cancel"), key=f"{key}-cancel-{job.id}", disabled=not may_act):
        try:
            with session_scope() as session:
                request_cancel(session, int(job.id or 0), actor=state.actor())
        except AppError as exc:
            show_error(exc)
        else:
            st.toast(t("cancel_requested"))
    if job.status in (JobStatus.failed, JobStatus.canceled, JobStatus.partial) and cols[1].button(
        t("retry"), key=f"{key}-retry-{job.id}", disabled=not may_act
    ):
        try:
            retry_job(int(job.id or 0), actor=state.actor())
        except AppError as exc:
            show_error(exc)
        else:
            st.rerun(scope="app")


def job_progress(job_id: int, *, key: str) -> Job:
    """Show a job; poll it every POLL_SECONDS while it runs. When it ends, the whole page
    reruns once so it can show the results, and the fragment is redefined without a timer."""
    job = load_job(job_id)
    was_running = is_running(job)

    @st.fragment(run_every=POLL_SECONDS if was_running else None)
    def panel() -> None:
        current = load_job(job_id)
        render_job(current, key=key)
        if was_running and not is_running(current):
            st.rerun(scope="app")

    with st.container(border=True):
        panel()
    return job

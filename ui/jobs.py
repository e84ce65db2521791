"""Job progress: a fragment that polls the jobs table while a job runs, then stops."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.auth import Can
from core.db import id_of, read_session, session_scope
from core.errors import AppError
from core.jobs import get_job, latest_job, request_cancel, retry_job
from core.models import Job, JobStatus
from ui import state
from ui.i18n import label, t
from ui.jobtext import show_app_error, step_detail, step_label
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
    with read_session() as session:
        return get_job(session, job_id)


def latest(course_id: int, kinds: tuple[str, ...]) -> Job | None:
    with read_session() as session:
        return latest_job(session, course_id=course_id, kinds=kinds)


def is_running(job: Job | None) -> bool:
    return job is not None and not JobStatus(job.status).finished


def status_label(status: str) -> str:
    return f"{STATUS_ICON.get(status, '•')} {label('status', status)}"


def steps_table(steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            t("col_step"): step_label(s),
            t("col_status"): status_label(str(s.get("status", ""))),
            t("col_detail"): step_detail(s),
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


def _finished_steps(job: Job) -> int:
    return sum(1 for s in job.steps if s.get("status") in ("done", "skipped", "draft"))


def render_job(job: Job, *, key: str, expanded_steps: bool = False) -> None:
    """Status, progress bar, step list, error and the cancel/retry actions of one job.

    The panel agrees with itself: the bar shows finished steps (a failed job never reads
    100%), "Working on" only while the job runs, and a cancel reads as canceled."""
    done, total = _finished_steps(job), len(job.steps)
    status = JobStatus(job.status)
    if status in (JobStatus.failed, JobStatus.canceled):
        # A draft is an answer that failed its checks: not progress on a job that stopped.
        done = sum(1 for s in job.steps if s.get("status") in ("done", "skipped"))
    st.markdown(f"**{label('kind', job.kind)}** · #{job.id} · {status_label(job.status)}")
    if status == JobStatus.succeeded:
        fraction = 1.0
    elif total:
        fraction = done / total
    else:
        fraction = min(1.0, max(0.0, float(job.progress)))
    if status in (JobStatus.failed, JobStatus.canceled):
        fraction = min(fraction, 0.99)
    if status in (JobStatus.failed, JobStatus.canceled):
        st.progress(fraction, text=t("steps_stopped", done=done, total=total))
    else:
        st.progress(fraction, text=t("steps_done", done=done, total=total, pct=int(100 * fraction)))
    running = [s for s in job.steps if s.get("status") == "running"] if is_running(job) else []
    if running:
        st.caption(t("now_running", what=md_escape(", ".join(step_label(s) for s in running[:4]))))
    if isinstance(job.result, dict) and "written" in job.result:
        st.caption(job_counts(job.result))  # issue 10: what a lessons/slides job got done
    if status == JobStatus.canceled:
        st.info(t("job_canceled_note"), icon=":material/block:")
    elif job.error_code:
        show_app_error(job.error_code, job.error_detail, warning=status == JobStatus.partial)
    if job.steps:
        with st.expander(t("step_list", n=len(job.steps)), expanded=expanded_steps):
            st.dataframe(steps_table(job.steps), hide_index=True)
    cols = st.columns([1, 1, 4])
    may_act = state.actor().can(Can.jobs)  # issue 9: analysts read jobs; core refuses them too
    if is_running(job) and cols[0].button(t("cancel"), key=f"{key}-cancel-{job.id}", disabled=not may_act):
        try:
            with session_scope() as session:
                request_cancel(session, id_of(job), actor=state.actor())
        except AppError as exc:
            show_error(exc)
        else:
            st.toast(t("cancel_requested"))
    if job.status in (JobStatus.failed, JobStatus.canceled, JobStatus.partial) and cols[1].button(
        t("retry"), key=f"{key}-retry-{job.id}", disabled=not may_act
    ):
        try:
            retry_job(id_of(job), actor=state.actor())
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


def follow_job(job: Job, *, key: str) -> Job:
    """job_progress for a job the page read before its course tree: if the job ended in
    between, the tree may predate its results, so the page reads everything again (a stale
    "running" would stop the page with no timer left to wake it)."""
    fresh = job_progress(id_of(job), key=key)
    if is_running(job) and not is_running(fresh):
        st.rerun()
    return fresh

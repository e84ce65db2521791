"""Jobs: every job with status, progress, steps, error code; cancel and retry."""

from __future__ import annotations

import streamlit as st

from core.db import id_of, read_session
from core.jobs import list_jobs
from core.services.courses import list_courses
from ui import state
from ui.i18n import label, t
from ui.jobs import is_running, job_progress, render_job, status_label
from ui.layout import header, md_escape

header(":material/pending_actions:", "nav_jobs")
# A link from the Costs page names one job: show every course's jobs and open that one.
linked = st.query_params.get("job", "")
only_current = st.toggle(
    t("only_current_course"),
    value=state.course_id() is not None and not linked,
    key="jobs-only-current",
    disabled=state.course_id() is None,
)
with read_session() as session:
    jobs = list_jobs(session, course_id=state.course_id() if only_current else None, limit=50)
    # Jobs name their course by title, not "course #3".
    titles = {id_of(c): c.title for c in list_courses(session, include_archived=True)}

if not jobs:
    st.info(t("no_jobs"))
running = [j for j in jobs if is_running(j)]
if running:
    st.subheader(t("running_jobs"))
    for job in running:
        if job.course_id:
            st.caption(md_escape(titles.get(job.course_id) or t("course_n", id=job.course_id)))
        job_progress(id_of(job), key=f"jobs-{job.id}")
    st.subheader(t("finished_jobs"))
for job in jobs:
    if is_running(job):
        continue
    when = (job.finished_at or job.created_at).strftime("%Y-%m-%d %H:%M:%S")
    title = f"#{job.id} · {label('kind', job.kind)} · {status_label(job.status)} · {when}"
    if job.course_id:
        title += f" · {md_escape(titles.get(job.course_id) or t('course_n', id=job.course_id))}"
    if job.started_by:
        title += f" · {md_escape(job.started_by)}"
    with st.expander(title, expanded=str(job.id) == linked or (bool(job.error_code) and job is jobs[0])):
        render_job(job, key=f"jobs-{job.id}")

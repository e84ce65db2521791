"""Evaluations: past golden-set runs, a new run as a job, and two runs compared score by score."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.db import id_of, read_session
from core.jobs import get_job, start_job
from core.models import JobStatus
from core.prompts import LABELS
from core.services import evals
from core.services.lesson_eval import LESSON_SCORES
from core.services.prompt_lab import list_versions
from core.services.slides_eval import SLIDE_SCORES
from ui import state
from ui.i18n import label, t
from ui.jobtext import show_app_error
from ui.layout import header, md_escape, started

# issue 13: lesson and slides runs have scores of their own; columns no run has are left out.
SCORE_COLUMNS = (
    *evals.QUALITY_SCORES,
    *LESSON_SCORES[1:],
    *SLIDE_SCORES[1:],
    "cost_usd_per_run",
    "latency_ms_mean",
)


def run_label(run: Any) -> str:
    return f"#{run.id} · {run.prompt_id} {run.target} · {run.provider} · {run.created_at:%Y-%m-%d %H:%M}"


header(":material/analytics:", "nav_evaluations")

with st.expander(t("ev_new")):
    # issue 13: the lesson and slides prompts are evaluated too, on their content.
    prompt_id = st.selectbox(t("ev_prompt"), evals.SUPPORTED_PROMPTS, key="ev-prompt")
    with st.form("ev-new"):
        with read_session() as session:
            versions = [v.version for v in list_versions(session, prompt_id)]
        target = st.selectbox(
            t("ev_target"), [f"label:{name}" for name in LABELS] + versions, key="ev-target"
        )
        repeats = st.number_input(t("ev_repeats"), min_value=1, max_value=5, value=2, key="ev-repeats")
        if st.form_submit_button(t("ev_start")):
            which = {"label": target.split(":", 1)[1]} if target.startswith("label:") else {"version": target}
            started(
                start_job,
                remember="ev-job",
                actor=state.actor(),
                kind=evals.KIND_EVAL,
                payload={"prompt_id": prompt_id, "repeats": repeats, **which},
            )

if st.session_state.get("ev-job"):
    job_id = int(st.session_state["ev-job"])
    with read_session() as session:
        running = not JobStatus(get_job(session, job_id).status).finished

    @st.fragment(run_every=1.5 if running else None)
    def poll() -> None:
        with read_session() as session:
            job = get_job(session, job_id)
        st.caption(t("ev_job", id=job_id, status=label("status", job.status)))
        if job.status == JobStatus.failed:
            show_app_error(job.error_code, job.error_detail)
        if running and JobStatus(job.status).finished:
            st.rerun(scope="app")

    poll()

with read_session() as session:
    runs = evals.list_runs(session)
shown = {name for r in runs for name, value in r.scores.items() if value is not None}
st.subheader(t("ev_runs"))
if not runs:
    st.info(t("ev_none"))
    st.stop()
st.dataframe(
    [
        {
            t("evcol_run"): r.id,
            t("evcol_created"): r.created_at.strftime("%Y-%m-%d %H:%M"),
            t("evcol_prompt"): r.prompt_id,
            t("evcol_target"): r.target,
            t("evcol_provider"): r.provider,
        }
        | {label("score", name): r.scores.get(name) for name in SCORE_COLUMNS if name in shown}
        for r in runs
    ],
    hide_index=True,
)

st.subheader(t("ev_compare"))
by_id = {id_of(r): r for r in runs}
ids = list(by_id)
cols = st.columns(3)
current = cols[0].selectbox(t("ev_run"), ids, format_func=lambda i: run_label(by_id[i]), key="ev-current")
# A run is never compared with itself: the baseline list leaves the chosen run out.
others = [i for i in ids if i != current]
if not others:
    st.info(t("ev_need_two"))
    st.stop()
if st.session_state.get("ev-baseline") not in others:
    st.session_state.pop("ev-baseline", None)  # it was the run now chosen on the left
baseline = cols[1].selectbox(
    t("ev_baseline"),
    others,
    index=0,
    format_func=lambda i: run_label(by_id[i]),
    key="ev-baseline",
)
threshold = cols[2].number_input(t("ev_threshold"), 0.0, 1.0, 0.05, step=0.01, key="ev-threshold")
with read_session() as session:
    comparison = evals.compare_runs(session, run_id=current, baseline_id=baseline, threshold=threshold)
st.dataframe(
    [
        {
            t("evcol_score"): label("score", row["score"]),
            t("evcol_current"): row["current"],
            t("evcol_baseline"): row["baseline"],
            t("evcol_delta"): row["delta"],
            t("evcol_dropped"): t("yes") if row["dropped"] else t("no"),
        }
        for row in comparison["rows"]
    ],
    hide_index=True,
)
if comparison["dropped"]:
    names = ", ".join(label("score", n) for n in comparison["dropped"])
    st.error(t("ev_dropped", threshold=threshold, names=names))
else:
    st.success(t("ev_held", threshold=threshold))
for note in comparison["notes"]:
    if note.startswith("baseline provider"):
        st.caption(t("ev_note_provider"))
    elif note.startswith("baseline used a different"):
        st.caption(t("ev_note_size"))
    elif note.startswith("not gated for"):  # issue 13
        names = [n.strip() for n in note.split(":", 1)[1].split(",")]
        st.caption(t("ev_note_ungated", names=", ".join(label("score", n) for n in names)))
    elif note.startswith("baseline model"):
        st.caption(t("ev_note_model"))
    else:
        st.caption(md_escape(note))

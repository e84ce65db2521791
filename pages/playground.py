"""Playground: edit a prompt version, run it (or compare two) on sample variables as a job,
save the edit as a new version, and move the labels that choose what generation uses."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from streamlit_ace import st_ace

from core.auth import Can
from core.db import read_session, session_scope
from core.errors import AppError
from core.jobs import get_job
from core.models import JobStatus
from core.prompts import LABELS, get_registry, get_spec
from core.services import prompt_lab as lab
from ui import state
from ui.i18n import label as label_of
from ui.i18n import t
from ui.jobtext import show_app_error
from ui.layout import header, md_escape, show_error, started
from ui.validation import json_error, problem_line


def editor(spec_key: str, template: str) -> str:
    """The template editor; its text is kept in state so reruns never lose an edit."""
    if st.session_state.get("pg-spec") != spec_key:
        st.session_state.update({"pg-spec": spec_key, "pg-draft": template})
        st.session_state["pg-epoch"] = st.session_state.get("pg-epoch", 0) + 1
    widget_key = f"pg-editor-{st.session_state['pg-epoch']}"
    if st.session_state.get(state.PLAIN_EDITOR):
        text = st.text_area(t("pg_template"), value=st.session_state["pg-draft"], height=360, key=widget_key)
    else:
        text = st_ace(
            value=st.session_state["pg-draft"],
            language="django",
            theme="chrome",
            wrap=True,
            min_lines=16,
            max_lines=40,
            auto_update=True,
            key=widget_key,
        )
    if text is not None:
        st.session_state["pg-draft"] = text
    return str(st.session_state["pg-draft"])


def show_result(result: dict[str, Any], schema: str) -> None:
    st.markdown(f"**{result['name']}** · `{result['prompt_version']}` · `{result['checksum'][:19]}…`")
    if result.get("ok"):
        st.success(t("pg_valid", schema=schema))
    else:
        st.error(t("pg_invalid", code=result.get("error_code")))
        for problem in result.get("problems") or []:
            st.caption(f"• {md_escape(problem_line(str(problem)))}")
    cols = st.columns(3)
    cols[0].metric(t("pg_tokens"), f"{result.get('input_tokens', 0)} / {result.get('output_tokens', 0)}")
    cols[1].metric(t("pg_cost"), f"${result.get('cost_usd', 0.0):.5f}")
    cols[2].metric(t("pg_latency"), f"{result.get('latency_ms', 0.0):.0f} ms")
    with st.expander(t("pg_messages")):
        for message in result["messages"]:
            st.caption(message["role"])
            st.code(message["content"], language=None, wrap_lines=True)
    st.caption(t("pg_raw"))
    st.code(lab.output_text(result) or "-", language="json", wrap_lines=True)


def job_panel(job_id: int, schema: str) -> None:
    with read_session() as session:
        job = get_job(session, job_id)
    running = not JobStatus(job.status).finished

    @st.fragment(run_every=1.0 if running else None)
    def poll() -> None:
        with read_session() as session:
            current = get_job(session, job_id)
        st.caption(t("pg_running", id=job_id, status=label_of("status", current.status)))
        if running and JobStatus(current.status).finished:
            st.rerun(scope="app")

    poll()
    if job.status == JobStatus.failed:
        show_app_error(job.error_code, job.error_detail)
    results = job.result.get("variants") or []
    for col, result in zip(st.columns(len(results)) if results else [], results, strict=True):
        with col:
            show_result(result, schema)
    if len(results) == 2:
        diff = lab.output_diff(results[0], results[1])
        st.caption(t("pg_diff"))
        if diff:
            st.code(diff, language="diff")
        else:
            st.info(t("pg_same"))


header(":material/science:", "nav_playground")
registry = get_registry()
try:
    lab.ensure_mirrored()
except AppError as exc:
    show_error(exc)
# The pipeline's step prompts first, then issue 13's part prompts (quiz, exercises, passage).
PARTS = ("quiz", "exercises", "passage")
prompt_id = st.selectbox(
    t("pg_prompt"), sorted(registry.ids(), key=lambda p: (p in PARTS, p)), key="pg-prompt"
)
with session_scope() as session:
    versions = lab.list_versions(session, prompt_id)
    sources = lab.sample_sources(session)
    current = lab.current_labels(session, prompt_id)
    history = lab.label_history(session, prompt_id)
labels_of = {v.version: v.labels for v in versions}


def fmt(v: str) -> str:
    return f"{v} ({', '.join(labels_of[v])})" if labels_of.get(v) else v


if opened := st.session_state.pop("pg-open-version", None):
    st.session_state[f"pg-version-{prompt_id}"] = opened  # set before the widget exists
# Opens on what production runs (a newer version may wait on staging), else the newest.
in_production = current.get("production")
version = st.selectbox(
    t("pg_version"),
    list(labels_of),
    index=list(labels_of).index(in_production) if in_production in labels_of else len(labels_of) - 1,
    format_func=fmt,
    key=f"pg-version-{prompt_id}",
)
spec = get_spec(prompt_id, version)
draft = editor(f"{prompt_id}@{version}", spec.template)
if draft != spec.template:
    st.caption(":material/edit: " + t("pg_edited"))
# Refused constructs are shown right under the editor, before anything runs or is saved.
for refusal in lab.template_refusals(draft):
    st.error(t("pg_refused", why=md_escape(refusal)), icon=":material/gpp_bad:")

left, right = st.columns([3, 1], vertical_alignment="bottom")
source = left.selectbox(t("pg_fill_from"), list(sources), format_func=sources.get, key="pg-source")
# Refill when asked, on first load, and when another prompt (other variables) is chosen.
if right.button(t("pg_fill"), key="pg-fill") or st.session_state.get("pg-vars-for") != prompt_id:
    st.session_state["pg-vars-for"] = prompt_id
    with read_session() as session:
        sample = lab.sample_variables(session, source=source, spec=spec) if source else {}
    st.session_state["pg-vars"] = json.dumps(sample, indent=2, ensure_ascii=False)
raw_vars = st.text_area(t("pg_variables"), key="pg-vars", height=220)

others = list(labels_of)
production = current.get("production")
compare_to = st.selectbox(
    t("pg_compare"),
    others,
    index=others.index(production) if production in others else 0,
    format_func=fmt,
    key=f"pg-compare-{prompt_id}",
)
run_cols = st.columns(2)
clicked = {
    "run": run_cols[0].button(t("pg_run"), type="primary", key="pg-run"),
    "compare": run_cols[1].button(t("pg_run_compare"), key="pg-run-compare"),
}
if any(clicked.values()):
    variants = [lab.Variant("A", version, template=draft)]
    if clicked["compare"]:
        variants.append(lab.Variant("B", compare_to))
    try:
        variables = json.loads(raw_vars or "{}")
    except json.JSONDecodeError as exc:
        st.error(t("pg_bad_json", err=json_error(exc)))
    else:
        started(
            lab.start_playground,
            remember="pg-job",
            actor=state.actor(),
            prompt_id=prompt_id,
            variants=variants,
            variables=variables,
        )
if st.session_state.get("pg-job"):
    job_panel(int(st.session_state["pg-job"]), spec.schema_name)

st.subheader(t("pg_save"))
with st.form("pg-save-form"):
    with read_session() as session:
        suggested = lab.next_version(session, prompt_id)
    new_version = st.text_input(t("pg_new_version"), value=suggested, key="pg-new-version")
    owner = st.text_input(t("pg_owner"), value=state.actor().label, key="pg-owner")
    changelog = st.text_area(t("pg_changelog"), key="pg-changelog")
    if st.form_submit_button(t("pg_save_btn"), disabled=not state.actor().can(Can.prompts)):
        try:
            with session_scope() as session:
                saved = lab.save_version(
                    session,
                    actor=state.actor(),
                    prompt_id=prompt_id,
                    base_version=version,
                    version=new_version,
                    owner=owner,
                    changelog=changelog,
                    template=draft,
                )
        except AppError as exc:
            show_error(exc)
        else:
            # Rerun so every list shows the new version, and open it in the editor.
            st.session_state["pg-saved"] = (prompt_id, saved.version)
            st.session_state["pg-open-version"] = saved.version
            st.rerun()
if st.session_state.get("pg-saved"):
    saved_id, saved_version = st.session_state["pg-saved"]
    st.success(t("pg_saved", id=saved_id, version=saved_version))
    name, text = lab.version_file(saved_id, saved_version)
    st.download_button(
        t("pg_download", name=name),
        data=text,
        file_name=name,
        mime="application/x-yaml",
        key="pg-download-saved",
    )

st.subheader(t("pg_labels"))
label_cols = st.columns(3, vertical_alignment="bottom")
label = label_cols[0].selectbox(t("pg_label"), LABELS, key="pg-label")
target = label_cols[1].selectbox(
    t("pg_to_version"),
    list(labels_of),
    index=len(labels_of) - 1,
    format_func=fmt,
    key=f"pg-label-version-{prompt_id}",
)
may_move = state.actor().can(Can.prompts)  # issue 9: core refuses the others too
if label_cols[2].button(t("pg_move"), key="pg-move", disabled=not may_move):
    try:
        with session_scope() as session:
            lab.move_label(session, prompt_id=prompt_id, label=label, version=target, actor=state.actor())
        st.toast(t("pg_moved", label=label, version=target))
        st.rerun()
    except AppError as exc:
        show_error(exc)
if not may_move:
    st.caption(t("pg_move_forbidden", role=label_of("role", state.actor().role.value)))
# Which version each label points at, as a sentence per label rather than raw JSON.
for name in LABELS:
    st.markdown(t("pg_label_points", label=f"`{name}`", version=f"`{current.get(name, '—')}`"))
if history:
    st.caption(t("pg_history"))
    st.dataframe(
        [
            {
                t("pg_label"): e.label,
                t("pg_from"): e.from_version,
                t("pg_to"): e.to_version,
                t("col_author"): e.moved_by,
                t("col_time"): e.moved_at,
            }
            for e in history
        ],
        hide_index=True,
    )
    for name in {e.label for e in history}:
        if st.button(t("pg_rollback", label=name), key=f"pg-rollback-{name}", disabled=not may_move):
            try:
                with session_scope() as session:
                    lab.rollback_label(session, prompt_id=prompt_id, label=name, actor=state.actor())
                st.rerun()
            except AppError as exc:
                show_error(exc)
name, text = lab.version_file(prompt_id, version)
st.download_button(
    t("pg_download", name=name), data=text, file_name=name, mime="application/x-yaml", key="pg-download"
)

"""The accessibility report on the Export page: what passed, what the export fixed by
itself, and what needs the author, each with a button that opens the node to fix.

State is told in words and icons (":material/check_circle: Passed", "Needs you"), never
by colour alone; every button has a text label naming the node it opens."""

from __future__ import annotations

import streamlit as st

from core.db import session_scope
from core.errors import AppError
from core.exporters.a11y import Finding, NodeRef, Report
from core.services.accessibility import course_report
from ui import state, widgets
from ui.exports import TEMPLATE_KEY
from ui.i18n import t
from ui.text import md_escape

# Where each kind of node is edited, and the session key of that page's node picker.
_PAGES = {
    "course": ("pages/parameters.py", None),
    "module": ("pages/structure.py", "structure-{course}-module"),
    "lesson": ("pages/lessons.py", "lessons-{course}-pick"),
    "slides": ("pages/slides.py", "slides-{course}-pick"),
}


def finding_text(finding: Finding) -> str:
    """The finding in the interface language; the core's English message if a key is missing."""
    params = dict(finding.params)
    if "where" in params:
        params["where"] = t(f"a11y_where_{params['where']}")
    key = f"a11y_f_{finding.check}" + (
        "_dup" if finding.check == "slide_titles" and "titles" in params else ""
    )
    try:
        return t(key, **params)
    except (KeyError, IndexError):
        return finding.message


def _open(course_id: int, node: NodeRef) -> None:
    page, picker = _PAGES[node.kind]
    if picker and node.id is not None:
        key = picker.format(course=course_id)
        if node.kind in ("lesson", "slides"):
            widgets.set_value(key, node.id)  # issue-12: lesson pickers keep their value there
        else:
            st.session_state[key] = node.id
    state.switch(page)  # keeps the language and the course in the URL


def _finding(course_id: int, finding: Finding, index: int, *, actionable: bool) -> None:
    cols = st.columns([3, 1], vertical_alignment="center")
    icon = ":material/warning:" if actionable else ":material/auto_fix_high:"
    cols[0].markdown(f"{icon} {md_escape(finding_text(finding))}")
    node = finding.node
    if node is not None:
        label = t("a11y_open", kind=t(f"a11y_kind_{node.kind}"), title=node.title)
        if cols[1].button(md_escape(label), key=f"a11y-open-{course_id}-{index}", help=label):
            _open(course_id, node)


def _template_bytes() -> bytes | None:
    upload = st.session_state.get(TEMPLATE_KEY)
    return upload.getvalue() if upload is not None else None


def show_report(report: Report, course_id: int) -> None:
    summary = t(
        "a11y_summary", passed=len(report.passed), author=len(report.needs_author), fixed=len(report.fixed)
    )
    st.caption(summary)
    if report.ok:
        st.success(t("a11y_all_good"), icon=":material/check_circle:")
    else:
        with st.expander(
            t("a11y_needs_author", n=len(report.needs_author)), expanded=True, icon=":material/warning:"
        ):
            for i, finding in enumerate(report.needs_author):
                _finding(course_id, finding, i, actionable=True)
    if report.fixed:
        with st.expander(t("a11y_fixed", n=len(report.fixed)), icon=":material/auto_fix_high:"):
            for i, finding in enumerate(report.fixed):
                _finding(course_id, finding, 10_000 + i, actionable=False)
    with st.expander(t("a11y_passed", n=len(report.passed)), icon=":material/check_circle:"):
        for check in report.passed:
            st.markdown(f":material/check_circle: {md_escape(t('a11y_check_' + check))}")


def accessibility_report(course_id: int) -> None:
    """The Export page's report for one course (and the uploaded PPTX template, if any)."""
    st.subheader(":material/accessibility_new: " + t("a11y_title"))
    template = _template_bytes()
    try:
        with session_scope(readonly=True) as session:
            report = course_report(session, course_id, template)
    except AppError as exc:
        st.warning(t("a11y_template_bad", err=md_escape(exc.message)))
        with session_scope(readonly=True) as session:
            report = course_report(session, course_id)
    if template is not None:
        st.caption(t("a11y_template_note"))
    show_report(report, course_id)

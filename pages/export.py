"""Export: what the course contains, then one row per format. Each file is built by a job;
the row follows it and offers the download when it is ready, also after a reload."""

from __future__ import annotations

import streamlit as st

from core.exporters import EXPORTERS
from core.services.exports import incomplete_lessons
from ui import widgets
from ui.a11y_report import accessibility_report
from ui.exports import ALL_EXPORTER, PROFILES, export_row
from ui.i18n import label, t, tn
from ui.layout import header, md_escape, require_course

header(":material/download:", "nav_export")
course = require_course()

cols = st.columns(4)
cols[0].metric(t("modules"), len(course.modules))
cols[1].metric(t("lessons_metric"), f"{sum(1 for x in course.lessons if x.body_md)}/{len(course.lessons)}")
cols[2].metric(t("decks_metric"), f"{sum(1 for x in course.lessons if x.slides)}/{len(course.lessons)}")
cols[3].metric(t("minutes_metric"), course.duration_minutes)

profile = widgets.choice(
    st.radio,
    t("profile"),
    PROFILES,
    format_func=lambda p: label("profile", p),
    captions=[t(f"profile_{p}_hint") for p in PROFILES],
    horizontal=True,
    key="export-profile",
)
# An incomplete course exports only after the person has seen what is missing.
missing = incomplete_lessons(course)
ready = True
if missing:
    lines = "\n".join(f"- {md_escape(title)} · {label('lstatus', status)}" for title, status in missing)
    st.warning(tn("export_incomplete_n", len(missing)) + "\n\n" + lines, icon=":material/warning:")
    ready = st.checkbox(t("export_anyway"), key=f"export-{course.id}-anyway")
export_row(course.id, ALL_EXPORTER, str(profile or PROFILES[0]), enabled=ready)
for exporter in EXPORTERS.values():
    export_row(course.id, exporter, str(profile or PROFILES[0]), enabled=ready)

accessibility_report(course.id)

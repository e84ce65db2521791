"""Export: what the course contains, and the export formats this build has."""

from __future__ import annotations

import re

import streamlit as st

from core.db import session_scope
from core.models import CourseStep
from core.services.courses import touch
from ui.exports import FORMATS, build, exporter
from ui.i18n import t
from ui.layout import header, require_course

header(":material/download:", "nav_export")
course = require_course()

cols = st.columns(4)
cols[0].metric(t("modules"), len(course.modules))
cols[1].metric(t("lessons_metric"), f"{sum(1 for x in course.lessons if x.body_md)}/{len(course.lessons)}")
cols[2].metric(t("decks_metric"), f"{sum(1 for x in course.lessons if x.slides)}/{len(course.lessons)}")
cols[3].metric(t("minutes_metric"), course.duration_minutes)

profile = st.segmented_control(
    t("profile"),
    ["minimal", "full"],
    format_func=lambda p: t("profile_" + p),
    default="minimal",
    required=True,
    key="export-profile",
)
slug = re.sub(r"[^\w-]+", "-", course.title.lower()).strip("-")[:60] or "course"
for fmt in FORMATS:
    with st.container(border=True):
        name_col, action_col = st.columns([3, 2], vertical_alignment="center")
        name_col.markdown(f"**{fmt.name}**")
        if exporter(fmt) is None:
            name_col.caption(t("format_not_available"))
            continue
        name_col.caption(t("format_available"))
        ready_key = f"export-{course.id}-{fmt.module}-{profile}"
        if action_col.button(t("prepare"), key=f"{ready_key}-prepare"):
            st.session_state[ready_key] = build(fmt, course.id, str(profile))
            with session_scope() as session:
                touch(session, course.id, step=CourseStep.export)
        if ready_key in st.session_state:
            action_col.download_button(
                t("download"),
                st.session_state[ready_key],
                key=f"{ready_key}-download",
                file_name=f"{slug}.{fmt.file_ext}",
                mime=fmt.mime,
                type="primary",
            )

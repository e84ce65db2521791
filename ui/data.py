"""issue 18: the reads pages share, cached with explicit, exact invalidation.

A cached read is keyed by the database, the course and the course's cache counters
(core/cache_versions.py), which every write to the course tree bumps in its own
transaction, whichever process wrote. Reading the counters is one indexed query; the
tree itself (every module, lesson, slide and provenance) is read again only after a
write. st.cache_data hands each caller its own copy, so a page cannot alter the cache.
"""

from __future__ import annotations

import streamlit as st

from core.cache_versions import versions
from core.db import session_scope
from core.services.courses import CourseDoc, load_course
from core.settings import get_settings


@st.cache_data(show_spinner=False, max_entries=32)
def _course_doc(database: str, course_id: int, version: tuple[int, int]) -> CourseDoc:
    with session_scope(readonly=True) as session:
        return load_course(session, course_id)


def course_doc(course_id: int) -> CourseDoc:
    """The course tree as of the latest write; raises AppError when the course is gone."""
    with session_scope(readonly=True) as session:
        version = versions(session, course_id)
    return _course_doc(get_settings().DATABASE_URL, course_id, version)

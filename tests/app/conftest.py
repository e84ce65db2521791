"""AppTest helpers: a migrated database, a factory course, and pages opened by file."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import session_scope
from core.jobs import latest_job, wait_for
from core.models import Job, JobStatus

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ("courses", "parameters", "sources", "structure", "lessons", "slides", "export", "jobs", "costs")


def open_page(page: str, *, course_id: int | None = None, lang: str = "en", plain: bool = True) -> AppTest:
    """A fresh session: one full run of app.py (boot, sidebar, navigation), then `page`.

    AppTest 1.67 reruns a switched-to page's script without app.py, so pages draw their
    own banner and flush pending edits (see ui.layout.header)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["ui.course_id"] = course_id
    at.session_state["ui.lang"] = lang
    # The plain text box stands in for streamlit-ace, which AppTest cannot type into;
    # the browser test drives the real ace editor.
    at.session_state["ui.plain_editor"] = plain
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(f"pages/{page}.py")
    return at.run()


def finish_job(course_id: int, kinds: tuple[str, ...]) -> Job:
    with session_scope() as session:
        job = latest_job(session, course_id=course_id, kinds=kinds)
    assert job is not None, f"no {kinds} job for course {course_id}"
    done = wait_for(int(job.id or 0), timeout=60)
    assert done.status == JobStatus.succeeded, (done.error_code, done.error_detail)
    return done


def texts(at: AppTest) -> str:
    """Every visible string of a run, for 'does the page say X' checks."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "text",
    ):
        parts += [str(el.value) for el in getattr(at, kind)]
    parts += [str(b.label) for b in at.button]
    return "\n".join(parts)


@pytest.fixture
def course_id(db: str) -> int:
    from tests.factories import make_course

    with session_scope() as session:
        return make_course(session, modules=2, lessons=2, slides=3, language="en")

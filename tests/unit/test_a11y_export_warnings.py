"""An export job records what it could not make accessible as warnings, and still succeeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import session_scope
from core.jobs import wait_for
from core.models import JobStatus
from core.services.accessibility import course_report
from core.services.exports import start_export
from core.settings import reset_settings
from tests.a11y.course import make_a11y_course
from tests.actors import ADMIN


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("FILES_DIR", str(root))
    reset_settings()
    return root


@pytest.mark.parametrize("fmt", ["html", "scorm"])
def test_an_image_without_alt_is_a_warning_at_export(db: str, data_dir: Path, fmt: str) -> None:
    with session_scope() as session:
        course_id = make_a11y_course(session, missing_alt=True)
    job = wait_for(
        int(start_export(course_id=course_id, fmt=fmt, profile="minimal", actor=ADMIN).id or 0), timeout=60
    )
    assert job.status == JobStatus.succeeded
    warnings = job.result["a11y_warnings"]
    # the factory puts the body in all four lessons
    assert len(warnings) == 4 and all("'photo.png'" in w and "no alt text" in w for w in warnings)
    build = next(s for s in job.steps if s["name"] == "build")
    assert "4 accessibility warning(s)" in build["detail"]


def test_a_clean_course_exports_without_warnings(db: str, data_dir: Path) -> None:
    with session_scope() as session:
        course_id = make_a11y_course(session)
    for fmt in ("html", "pptx", "json"):
        job = wait_for(
            int(start_export(course_id=course_id, fmt=fmt, profile="minimal", actor=ADMIN).id or 0),
            timeout=60,
        )
        assert job.status == JobStatus.succeeded and job.result["a11y_warnings"] == [], fmt


def test_the_course_report_reads_the_stored_course(db: str, data_dir: Path) -> None:
    with session_scope() as session:
        course_id = make_a11y_course(session, missing_alt=True)
    with session_scope(readonly=True) as session:
        report = course_report(session, course_id)
    assert {f.check for f in report.needs_author} == {"image_alt"}
    assert {f.node.kind for f in report.needs_author if f.node} == {"lesson"}
    assert {f.check for f in report.fixed} >= {"headings", "language", "slide_titles"}


def test_the_cli_prints_accessibility_warnings_and_still_writes(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.exporters.cli import main

    with session_scope(db) as session:
        course_id = make_a11y_course(session, missing_alt=True)
    out = tmp_path / "site.zip"
    assert main(["export", str(course_id), "--format", "html", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert out.stat().st_size > 0
    assert err.count("accessibility warning: image 'photo.png'") == 4


def test_export_all_carries_every_formats_warnings_named_by_format(db: str, data_dir: Path) -> None:
    """issue-12's "Export all" ZIP with issue 19's warnings: one list, each named by its format."""
    with session_scope() as session:
        course_id = make_a11y_course(session, missing_alt=True)
    job = wait_for(
        int(start_export(course_id=course_id, fmt="all", profile="minimal", actor=ADMIN).id or 0), timeout=120
    )
    assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
    warnings = job.result["a11y_warnings"]
    assert {w.split(":", 1)[0] for w in warnings} == {"html", "scorm"}
    assert sum(1 for w in warnings if w.startswith("html: ") and "no alt text" in w) == 4
    html_step = next(s for s in job.steps if s["name"] == "build:html")
    assert "4 accessibility warning(s)" in html_step["detail"]

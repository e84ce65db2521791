"""Exports as jobs: the job writes the file, bad requests are refused before a job exists,
a template without the needed layouts fails the job with their names, and a finished
export reads back as a file python-pptx and zipfile can open."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from pptx import Presentation
from sqlmodel import select

from core.db import session_scope
from core.errors import AppError
from core.jobs import wait_for
from core.models import Job, JobStatus
from core.services.exports import export_file, latest_export, start_export
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.factories import make_course


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("FILES_DIR", str(root))
    reset_settings()
    return root


@pytest.fixture
def course_id(db: str, data_dir: Path) -> int:
    with session_scope() as session:
        return make_course(session, modules=2, lessons=2, slides=2)


def pptx_bytes(*, rename: tuple[str, ...] = ()) -> bytes:
    """python-pptx's stock template; `rename` hides layouts the export needs."""
    prs = Presentation()
    for layout in prs.slide_layouts:
        if layout.name in rename:
            layout.name = f"Custom {layout.name}"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def job_count() -> int:
    with session_scope() as session:
        return len(session.exec(select(Job)).all())


def finished(job: Job) -> Job:
    return wait_for(int(job.id or 0), timeout=60)


def test_the_job_writes_the_file_and_reports_it(course_id: int, data_dir: Path) -> None:
    job = finished(start_export(actor=ADMIN, course_id=course_id, fmt="json", profile="full"))
    assert job.status == JobStatus.succeeded, (job.error_code, job.error_detail)
    path = Path(job.result["path"])
    assert path == data_dir / "exports" / f"job-{job.id}" / job.result["filename"]
    assert job.result["filename"].endswith("-full.json")
    assert job.result["mime"] == "application/json"
    assert job.result["size"] == path.stat().st_size > 0
    assert json.loads(path.read_bytes())["course"]["title"] == "Data cleaning for analysts"
    assert [s["status"] for s in job.steps] == ["done", "done"]
    assert job.progress == 1.0


@pytest.mark.parametrize(
    ("fmt", "profile", "named"),
    [
        ("docx", "minimal", ["'docx'", "json", "pptx", "scorm"]),
        ("json", "everything", ["'everything'", "minimal", "full"]),
    ],
)
def test_bad_format_or_profile_is_refused_naming_the_choices(
    course_id: int, fmt: str, profile: str, named: list[str]
) -> None:
    with pytest.raises(AppError) as info:
        start_export(actor=ADMIN, course_id=course_id, fmt=fmt, profile=profile)
    assert info.value.code == "E.VALIDATION"
    assert all(word in info.value.message for word in named), info.value.message
    assert job_count() == 0


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (pptx_bytes(), "deck.potx", "not a .pptx file"),
        (b"this is not a zip file", "broken.pptx", "cannot be opened"),
        (b"", "empty.pptx", "empty"),
    ],
)
def test_a_bad_template_is_refused_before_any_job_exists(
    course_id: int, data_dir: Path, data: bytes, name: str, said: str
) -> None:
    with pytest.raises(AppError) as info:
        start_export(
            actor=ADMIN, course_id=course_id, fmt="pptx", profile="minimal", template=data, template_name=name
        )
    assert said in info.value.message and name in info.value.message
    assert job_count() == 0
    assert not (data_dir / "templates").exists() or not any((data_dir / "templates").iterdir())


def test_a_template_missing_layouts_fails_the_job_listing_them(course_id: int, data_dir: Path) -> None:
    data = pptx_bytes(rename=("Section Header", "Title and Content"))
    job = finished(
        start_export(
            actor=ADMIN,
            course_id=course_id,
            fmt="pptx",
            profile="minimal",
            template=data,
            template_name="odd.pptx",
        )
    )
    assert job.status == JobStatus.failed
    assert job.error_code == "E.VALIDATION"
    assert "'Section Header'" in (job.error_detail or "") and "'Title and Content'" in (
        job.error_detail or ""
    )
    assert job.steps[0]["status"] == "failed" and "Section Header" in job.steps[0]["detail"]
    assert export_file(job) is None
    # The template is kept by content hash and named in the payload.
    (saved,) = (data_dir / "templates").iterdir()
    assert saved.name.endswith(".pptx") and len(saved.stem) == 64
    assert job.payload["template_path"] == str(saved)


def test_export_file_reads_back_a_pptx_with_the_uploaded_template(course_id: int) -> None:
    job = finished(
        start_export(
            actor=ADMIN,
            course_id=course_id,
            fmt="pptx",
            profile="minimal",
            template=pptx_bytes(),
            template_name="team.PPTX",
        )
    )
    assert job.status == JobStatus.succeeded, job.error_detail
    found = export_file(job)
    assert found is not None
    data, filename, mime = found
    assert filename.endswith(".pptx") and mime.endswith("presentationml.presentation")
    prs = Presentation(io.BytesIO(data))
    assert prs.slide_width == Presentation().slide_width, "the uploaded 4:3 template was used"
    assert len(prs.slides) > 3


@pytest.mark.parametrize("fmt", ["md", "html", "scorm"])
def test_export_file_reads_back_zip_archives(course_id: int, fmt: str) -> None:
    job = finished(start_export(actor=ADMIN, course_id=course_id, fmt=fmt, profile="minimal"))
    assert job.status == JobStatus.succeeded, job.error_detail
    found = export_file(job)
    assert found is not None
    with zipfile.ZipFile(io.BytesIO(found[0])) as archive:
        assert archive.testzip() is None and archive.namelist()


def test_export_file_is_none_until_succeeded_and_when_the_file_is_gone(course_id: int) -> None:
    job = finished(start_export(actor=ADMIN, course_id=course_id, fmt="json", profile="minimal"))
    pending = Job(id=job.id, kind="export", status=JobStatus.running, result=job.result)
    assert export_file(pending) is None
    Path(job.result["path"]).unlink()
    assert export_file(job) is None


def test_latest_export_picks_the_newest_job_of_a_format(course_id: int) -> None:
    first = finished(start_export(actor=ADMIN, course_id=course_id, fmt="json", profile="minimal"))
    finished(start_export(actor=ADMIN, course_id=course_id, fmt="md", profile="minimal"))
    second = finished(start_export(actor=ADMIN, course_id=course_id, fmt="json", profile="full"))
    with session_scope() as session:
        assert latest_export(session, course_id=course_id, fmt="json").id == second.id  # type: ignore[union-attr]
        assert latest_export(session, course_id=course_id, fmt="pptx") is None
    assert first.id != second.id


def test_an_unknown_course_is_refused_before_any_job_exists(db: str, data_dir: Path) -> None:
    with pytest.raises(AppError) as info:
        start_export(actor=ADMIN, course_id=999, fmt="json", profile="minimal")
    assert info.value.code == "E.NOT_FOUND"
    assert job_count() == 0


def test_old_export_files_are_pruned_and_recent_ones_kept(data_dir: Path) -> None:
    import os
    import time

    from core.services.exports import prune_exports

    old = data_dir / "exports" / "job-1"
    new = data_dir / "exports" / "job-2"
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "course.json").write_text("{}")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))
    assert prune_exports() == 1
    assert not old.exists() and (new / "course.json").exists()

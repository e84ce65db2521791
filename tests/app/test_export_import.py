"""Export page (formats built by jobs, downloads after the job and after a reload), course
import on the Courses page, and the cost estimate on Parameters and Structure."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pptx import Presentation
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from core.db import session_scope
from core.exporters import export_course
from core.jobs import latest_job, wait_for
from core.models import Course, Job, JobStatus, Revision
from core.schemas import CourseParams
from core.services import courses as course_svc
from core.services.generation import start_outline
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.app.conftest import open_page, texts
from ui.exports import job_key

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("FILES_DIR", str(root))
    reset_settings()
    return root


def pptx_bytes(*, rename: tuple[str, ...] = ()) -> bytes:
    prs = Presentation()
    for layout in prs.slide_layouts:
        if layout.name in rename:
            layout.name = f"Custom {layout.name}"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def downloads(at: AppTest) -> list[str]:
    return [str(d.proto.label) for d in at.get("download_button")]


def prepare(at: AppTest, course_id: int, fmt: str) -> Job:
    at.button(key=f"export-{course_id}-{fmt}-prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = wait_for(int(at.session_state[job_key(course_id, fmt)]), timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return job


def count(model: type) -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


# ------------------------------------------------------------------ export page


def test_prepare_json_and_pptx_then_download_also_after_a_reload(course_id: int) -> None:
    at = open_page("export", course_id=course_id)
    assert not downloads(at), "nothing prepared yet"

    job = prepare(at, course_id, "json")
    assert job.status == JobStatus.succeeded, job.error_detail
    assert any(label.startswith("Download course-") and label.endswith(".json") for label in downloads(at))

    at.file_uploader(key="export-template").set_value(("team.pptx", pptx_bytes(), PPTX_MIME)).run()
    job = prepare(at, course_id, "pptx")
    assert job.status == JobStatus.succeeded, job.error_detail
    assert "template_path" in job.payload
    labels = downloads(at)
    assert len(labels) == 2 and any(label.endswith(".pptx") for label in labels)

    # A new session (a browser reload) finds the newest export of each format again.
    again = open_page("export", course_id=course_id)
    assert sorted(downloads(again)) == sorted(labels)
    assert again.session_state[job_key(course_id, "pptx")] == job.id


def test_full_profile_is_passed_to_the_job(course_id: int) -> None:
    at = open_page("export", course_id=course_id)
    assert "Content plus provenance" in str(at.radio(key="export-profile.en").proto), "one line per profile"
    at.radio(key="export-profile.en").set_value("full").run()
    job = prepare(at, course_id, "md")
    assert job.payload["profile"] == "full" and job.result["filename"].endswith("-full.md.zip")
    assert any(label.endswith("-full.md.zip") for label in downloads(at))


def test_a_template_missing_layouts_shows_the_missing_names(course_id: int) -> None:
    at = open_page("export", course_id=course_id)
    odd = pptx_bytes(rename=("Section Header",))
    at.file_uploader(key="export-template").set_value(("odd.pptx", odd, PPTX_MIME)).run()
    job = prepare(at, course_id, "pptx")
    assert job.status == JobStatus.failed
    shown = "\n".join(str(e.value) for e in [*at.error, *at.caption])
    assert "missing layout 'Section Header'" in shown.replace("\\", ""), shown
    assert not downloads(at)


def test_a_file_that_is_not_a_presentation_is_refused_before_a_job(course_id: int) -> None:
    at = open_page("export", course_id=course_id)
    at.file_uploader(key="export-template").set_value(("fake.pptx", b"not a zip", PPTX_MIME)).run()
    at.button(key=f"export-{course_id}-pptx-prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("cannot be opened" in str(e.value) for e in at.caption)
    assert count(Job) == 0


# ------------------------------------------------------------------ import on the Courses page


def export_json(course_id: int) -> dict:
    with session_scope() as session:
        data, _, _ = export_course(session, course_id, "json", "full")
    return json.loads(data)


def upload_and_import(at: AppTest, data: bytes, name: str = "course.json") -> AppTest:
    at.file_uploader(key="courses-import-file-0").set_value((name, data, "application/json")).run()
    at.button(key="courses-import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_importing_a_valid_json_creates_a_course_and_opens_it(course_id: int) -> None:
    at = open_page("courses")
    data = json.dumps(export_json(course_id)).encode()
    at = upload_and_import(at, data)
    with session_scope() as session:
        courses = course_svc.list_courses(session)
    assert len(courses) == 2
    new = max(int(c.id or 0) for c in courses)
    assert at.session_state["ui.course_id"] == new
    with session_scope() as session:
        doc = course_svc.load_course(session, new)
    assert doc.title == "Data cleaning for analysts" and len(doc.lessons) == 4
    assert not at.error


def test_an_invalid_json_lists_every_problem_and_changes_nothing(course_id: int) -> None:
    at = open_page("courses", course_id=course_id)
    data = export_json(course_id)
    data["schema_version"] = "9.9"
    data["course"]["modules"][0]["title"] = ""
    data["course"]["modules"][1]["lessons"][0]["duration_minutes"] = -5
    before = (count(Course), count(Revision))

    at = upload_and_import(at, json.dumps(data).encode())
    (box,) = at.error
    shown = str(box.value).replace("\\", "")
    assert "(3 problem(s)); nothing was changed" in shown, shown
    for field in ("schema_version", "course.modules.0.title", "course.modules.1.lessons.0.duration_minutes"):
        assert f"- {field}: " in shown, shown
    assert "'9.9' is not supported" in shown
    assert (count(Course), count(Revision)) == before
    assert at.session_state["ui.course_id"] == course_id

    # A well-formed file can still be wrong: a quiz answer outside its options.
    data = export_json(course_id)
    quiz = next(q for m in data["course"]["modules"] for lsn in m["lessons"] for q in lsn["quiz"])
    quiz["answer_index"] = 99
    at = upload_and_import(at, json.dumps(data).encode())
    assert ".answer_index: answer_index 99 is outside the" in str(at.error[0].value).replace("\\", "")
    assert (count(Course), count(Revision)) == before

    at = upload_and_import(at, b"{ not json", name="broken.json")
    assert "not valid JSON" in str(at.error[0].value).replace("\\", "")
    assert (count(Course), count(Revision)) == before


# ------------------------------------------------------------------ cost estimate


def test_parameters_page_shows_the_estimate_offline_with_openai_prices(course_id: int) -> None:
    at = open_page("parameters", course_id=course_id)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at).replace("\\", "")
    assert "Estimate: 9 calls, ~" in shown, shown  # 1 outline + 4 lessons + 4 decks
    assert "tokens, $0 (offline)" in shown
    assert "With the configured OpenAI models (gpt-4.1-mini) it would cost ~$0.0" in shown
    (table,) = at.dataframe
    assert list(table.value["Step"]) == ["Structure", "Lessons", "Slides"]
    assert at.number_input(key="parameters-budget").value == 0.0


def test_parameters_page_prices_the_configured_model_online(
    course_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-estimate-0123456789")
    monkeypatch.setenv("MODEL_LESSON", "gpt-4.1")
    reset_settings()
    at = open_page("parameters", course_id=course_id)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at).replace("\\", "")
    assert "Estimate: 9 calls, ~" in shown and "tokens, ~$0.0" in shown
    assert "(offline)" not in shown
    assert "gpt-4.1" in set(at.dataframe[0].value["Model"])


def test_no_estimate_while_the_form_is_invalid(db: str) -> None:
    at = open_page("parameters")
    assert "Estimate:" not in texts(at)


def test_structure_approve_passes_the_budget_to_the_lessons_job(db: str) -> None:
    with session_scope() as session:
        params = CourseParams(topic="Data cleaning with pandas", module_count=2, lessons_per_module=2)
        cid = int(course_svc.create_course(session, actor=ADMIN, params=params).id or 0)
    outline = wait_for(int(start_outline(actor=ADMIN, course_id=cid).id or 0), timeout=60)
    assert outline.status == JobStatus.succeeded, outline.error_detail

    at = open_page("structure", course_id=cid)
    assert "Estimate: 4 calls" in texts(at).replace("\\", "")
    at.number_input(key=f"structure-{cid}-budget").set_value(2.5).run()
    assert at.session_state[f"budget.{cid}"] == 2.5
    at.button(key="structure-approve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with session_scope() as session:
        job = latest_job(session, course_id=cid, kinds=("lessons",))
    assert job is not None and job.payload["budget_usd"] == 2.5
    assert wait_for(int(job.id or 0), timeout=60).status == JobStatus.succeeded

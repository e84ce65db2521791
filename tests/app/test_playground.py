"""Playground flow in AppTest: edit -> run -> compare -> save as a new version -> move the
production label -> the next generation records the new version."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.auth import Role
from core.db import session_scope
from core.jobs import wait_for
from core.models import JobStatus, LLMCall, PromptLabelEvent, Revision
from core.prompts import PROMPTS_DIR, PromptRegistry, reset_registry
from core.schemas import CourseParams
from core.services import courses as course_svc
from core.services.generation import start_outline
from tests.actors import ADMIN, person
from ui import state

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "playground.py")
EXTRA_RULE = "- keep every title under 60 characters.\n"


@pytest.fixture
def prompts(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private prompts folder, so saving a version never touches the real prompts/."""
    root = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, root)
    monkeypatch.setenv("PROMPTS_DIR", str(root))
    reset_registry()
    yield root
    reset_registry()


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state[state.PLAIN_EDITOR] = True  # streamlit-ace is a browser component
    at.session_state[state.ACTOR] = person("ana", Role.prompt_engineer)
    at.run()
    assert not at.exception, at.exception
    return at


def choose_outline(at: AppTest) -> AppTest:
    at.selectbox(key="pg-prompt").set_value("outline").run()
    at.selectbox(key="pg-source").set_value("golden:en-beginner-python-3x3")
    at.button(key="pg-fill").click().run()
    assert not at.exception, at.exception
    return at


def editor(at: AppTest):  # type: ignore[no-untyped-def]
    return next(ta for ta in at.text_area if str(ta.key).startswith("pg-editor-"))


def run_job(at: AppTest, button: str) -> dict:
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    job = wait_for(int(at.session_state["pg-job"]), timeout=30)
    assert job.status == JobStatus.succeeded, job.error_detail
    at.run()
    assert not at.exception, at.exception
    return job.result


def test_edit_run_compare_save_move_label_then_generation_records_the_new_version(prompts: Path) -> None:
    at = choose_outline(open_page())
    assert '"module_count": 3' in at.text_area(key="pg-vars").value

    # edit
    original = editor(at).value
    editor(at).set_value(original + EXTRA_RULE).run()
    assert any("not saved yet" in c.value for c in at.caption)

    # run the edit alone
    result = run_job(at, "pg-run")
    (variant,) = result["variants"]
    assert variant["ok"] and variant["edited"] and variant["prompt_version"] == "1.1.0+edit"
    assert EXTRA_RULE.strip() in variant["messages"][1]["content"]
    assert any("Valid against Outline" in s.value for s in at.success)
    assert any(m.label.startswith("Tokens") for m in at.metric)

    # compare the edit with production, side by side
    at.selectbox(key="pg-compare-outline").set_value("1.1.0")
    result = run_job(at, "pg-run-compare")
    a, b = result["variants"]
    assert (a["prompt_version"], b["prompt_version"]) == ("1.1.0+edit", "1.1.0")
    assert a["checksum"] != b["checksum"]
    assert any("Diff of the answers" in c.value for c in at.caption)

    # saving without a changelog is refused; nothing is written
    at.text_input(key="pg-new-version").set_value("1.2.0")

    submit = next(b for b in at.button if b.label == "Save version")
    submit.click().run()
    assert any("changelog is required" in c.value for c in at.caption)
    assert not (prompts / "outline" / "1.2.0.yaml").exists()

    # save as a new version
    at.text_area(key="pg-changelog").set_value("Ask for shorter titles.")
    next(b for b in at.button if b.label == "Save version").click().run()
    assert not at.exception, at.exception
    assert any("Saved outline 1.2.0" in s.value for s in at.success)
    saved = PromptRegistry(root=prompts).get("outline", "1.2.0")
    assert EXTRA_RULE.strip() in saved.template and saved.owner == "ana"
    assert f"checksum: {saved.checksum}" in (prompts / "outline" / "1.2.0.yaml").read_text(encoding="utf-8")
    assert any(d.proto.label == "Download outline-1.2.0.yaml" for d in at.get("download_button"))

    # move the production label to it
    at.selectbox(key="pg-label").set_value("production")
    at.selectbox(key="pg-label-version-outline").set_value("1.2.0")
    at.button(key="pg-move").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        event = session.exec(select(PromptLabelEvent)).one()
        assert (event.from_version, event.to_version, event.moved_by) == ("1.1.0", "1.2.0", "ana")

    # the next generation records the new version
    with session_scope() as session:
        course = course_svc.create_course(
            session, actor=ADMIN, params=CourseParams(topic="Python for analysts")
        )
        course_id = int(course.id or 0)
    job = wait_for(int(start_outline(actor=ADMIN, course_id=course_id).id or 0), timeout=30)
    assert job.status == JobStatus.succeeded, job.error_detail
    with session_scope() as session:
        calls = session.exec(select(LLMCall).where(LLMCall.course_id == course_id)).all()
        revisions = session.exec(select(Revision).where(Revision.course_id == course_id)).all()
    assert calls and {(c.prompt_version, c.prompt_checksum) for c in calls} == {("1.2.0", saved.checksum)}
    assert revisions and {r.prompt_version for r in revisions} == {"1.2.0"}


def test_rolling_back_the_label_returns_generation_to_the_old_version(prompts: Path) -> None:
    at = choose_outline(open_page())
    editor(at).set_value(editor(at).value + EXTRA_RULE).run()
    at.text_input(key="pg-new-version").set_value("1.2.0")
    at.text_area(key="pg-changelog").set_value("Shorter titles.")
    next(b for b in at.button if b.label == "Save version").click().run()
    at.selectbox(key="pg-label-version-outline").set_value("1.2.0")
    at.button(key="pg-move").click().run()
    at.button(key="pg-rollback-production").click().run()
    assert not at.exception, at.exception
    from core.prompts import active_prompt

    assert active_prompt("outline").version == "1.1.0"


def test_the_page_renders_with_the_ace_editor(prompts: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="pg-prompt").value == "lesson"


def test_every_step_prompt_runs_on_golden_variables(prompts: Path) -> None:
    at = open_page()
    for prompt_id in ("lesson", "slides", "module"):
        at.selectbox(key="pg-prompt").set_value(prompt_id).run()
        # Refilled for this prompt: exactly the variables it declares.
        declared = PromptRegistry(root=prompts).get(prompt_id, "1.1.0").variables
        assert list(json.loads(at.text_area(key="pg-vars").value)) == list(declared)
        result = run_job(at, "pg-run")
        (variant,) = result["variants"]
        assert variant["ok"], (prompt_id, variant["problems"])
        assert (variant["prompt_version"], variant["edited"]) == ("1.1.0", False)


def test_invalid_variables_json_is_reported_without_starting_a_job(prompts: Path) -> None:
    at = choose_outline(open_page())
    at.text_area(key="pg-vars").set_value("{not json").run()
    at.button(key="pg-run").click().run()
    assert any("not valid JSON" in e.value for e in at.error)
    assert "pg-job" not in at.session_state

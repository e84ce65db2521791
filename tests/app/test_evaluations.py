"""Evaluations page in AppTest: past runs listed, two runs compared score by score, and a
new evaluation started as a job."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import session_scope
from core.jobs import wait_for
from core.models import EvalRun, JobStatus

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "evaluations.py")


def record(target: str, adherence: float) -> int:
    scores = {"schema_validity": 1.0, "field_completeness": 1.0, "constraint_adherence": adherence,
              "split_stability": 1.0, "cost_usd_per_run": 0.0, "latency_ms_mean": 5.0}  # fmt: skip
    report = {"provider": "offline", "version": target, "cases": 14, "repeats": 2, "scores": scores}
    with session_scope() as session:
        row = EvalRun(prompt_id="outline", target=target, provider="offline", scores=scores, report=report)
        session.add(row)
        session.flush()
        return int(row.id or 0)


def test_an_empty_history_says_so(db: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception, at.exception
    assert any("No evaluation has run yet" in i.value for i in at.info)


def test_two_runs_are_compared_score_by_score(db: str) -> None:
    old = record("1.0.0", 0.99)
    new = record("1.1.0", 0.60)
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == 2
    assert at.selectbox(key="ev-current").value == new
    # A run is never compared with itself: the chosen run is not offered as the baseline.
    assert not any(o.startswith(f"#{new} ") for o in at.selectbox(key="ev-baseline").options)
    assert any(o.startswith(f"#{old} ") for o in at.selectbox(key="ev-baseline").options)
    at.selectbox(key="ev-baseline").set_value(old).run()
    comparison = at.dataframe[1].value
    row = comparison[comparison["Score"] == "Constraint adherence"].iloc[0]
    assert row["Change"] == -0.39 and row["Dropped"] == "yes"
    assert any("Dropped past 0.05: Constraint adherence" in e.value for e in at.error)

    at.number_input(key="ev-threshold").set_value(0.5).run()
    assert any("No score dropped past 0.5" in s.value for s in at.success)


def test_an_evaluation_started_on_the_page_runs_as_a_job_and_is_listed(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVAL_OUT_DIR", str(tmp_path / "reports"))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox(key="ev-target").set_value("label:production")
    at.number_input(key="ev-repeats").set_value(1)
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception, at.exception
    job = wait_for(int(at.session_state["ev-job"]), timeout=60)
    assert job.status == JobStatus.succeeded, job.error_detail
    assert job.result["dropped"] == []
    at.run()
    with session_scope() as session:
        (run,) = session.exec(select(EvalRun)).all()
    assert run.target == "label:production@1.1.0" and run.scores["schema_validity"] == 1.0
    assert len(at.dataframe[0].value) == 1
    assert (tmp_path / "reports" / f"job-{job.id}" / "report.md").exists()


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("page", ["playground", "evaluations"])
def test_prompt_pages_open_through_the_app_navigation(db: str, page: str, lang: str) -> None:
    from tests.app.conftest import open_page

    record("1.0.0", 0.99)
    at = open_page(page, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.info, "title and the offline banner"


def test_a_lesson_evaluation_is_started_on_the_page_and_compared_with_its_own_baseline(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13: the lesson prompt is evaluated on content scores, against the committed
    baseline of its provider and model (evals/baselines/lesson/offline-gpt-4.1-mini.json)."""
    monkeypatch.setenv("EVAL_OUT_DIR", str(tmp_path / "reports"))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox(key="ev-prompt").set_value("lesson").run()
    at.selectbox(key="ev-target").set_value("1.2.0")
    at.number_input(key="ev-repeats").set_value(1)
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception, at.exception
    job = wait_for(int(at.session_state["ev-job"]), timeout=120)
    assert job.status == JobStatus.succeeded, job.error_detail
    assert job.result["baseline"] == "compared with offline-gpt-4.1-mini.json" and job.result["dropped"] == []
    at.run()
    with session_scope() as session:
        (run,) = session.exec(select(EvalRun)).all()
    assert run.prompt_id == "lesson" and run.scores["judge"] is None
    assert 0 < run.scores["length_fit"] < 1 and 0 < run.scores["overlap"] < 1
    columns = list(at.dataframe[0].value.columns)
    assert "Length for the minutes" in columns and "Field completeness" not in columns

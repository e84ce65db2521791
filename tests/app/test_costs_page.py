"""The Costs page: filters and groupings drawn, figures from the service, downloads."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core.db import session_scope
from core.models import Course, Job, LLMCall
from tests.app.conftest import open_page, texts


def _seed(db: str) -> None:
    now = datetime.now(UTC)
    with session_scope() as session:
        course = Course(title="Analytics course", params={})
        session.add(course)
        session.flush()
        job = Job(kind="lessons", course_id=course.id, status="succeeded", payload={"budget_usd": 1.0})
        session.add(job)
        session.flush()
        for i, (model, cost, outcome) in enumerate(
            [("gpt-4.1-mini", 0.25, "ok"), ("gpt-4.1", 0.5, "ok"), ("gpt-4.1", 0.125, "error")]
        ):
            session.add(
                LLMCall(
                    job_id=job.id,
                    course_id=course.id,
                    step="lesson",
                    provider="openai",
                    model=model,
                    prompt_id="lesson",
                    prompt_version="1.0.0",
                    prompt_checksum="x",
                    input_tokens=100,
                    output_tokens=50,
                    cost_usd=cost,
                    outcome=outcome,
                    created_at=now - timedelta(hours=i),
                )
            )
        # Older than any preset but "all time".
        session.add(
            LLMCall(
                job_id=job.id,
                course_id=course.id,
                step="lesson",
                provider="openai",
                model="gpt-4o",
                prompt_id="lesson",
                prompt_version="1.0.0",
                prompt_checksum="x",
                cost_usd=9.0,
                outcome="ok",
                created_at=now - timedelta(days=400),
            )
        )


def test_costs_page_groups_filters_and_downloads(db: str) -> None:
    _seed(db)
    at = open_page("costs")
    assert not at.exception, [e.value for e in at.exception]
    # Last 30 days by default: the 400-day-old call is out of the view.
    assert at.metric[0].value == "$0.8750"
    at.selectbox(key="cf_group.en").set_value("model").run()
    assert not at.exception
    table = at.dataframe[0].value
    by_model = dict(zip(table["model"], table["cost_usd"], strict=True))
    assert by_model == {"gpt-4.1": 0.625, "gpt-4.1-mini": 0.25, "total": 0.875}
    assert at.query_params["group"] == "model"
    at.selectbox(key="cf_preset.en").set_value("all").run()
    assert at.metric[0].value == "$9.8750"
    at.multiselect(key="cf_models").set_value(["gpt-4.1"]).run()
    assert at.metric[0].value == "$0.6250"
    assert at.query_params["models"] == "gpt-4.1"
    # Waste: the failed call's money, and its share.
    assert at.metric[4].value == "$0.1250"
    csv_button = at.get("download_button")[0]
    assert csv_button is not None


def test_costs_page_opens_a_shared_link(db: str) -> None:
    _seed(db)
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"preset": "all", "group": "month", "then": "model", "outcomes": "error"})
    at.session_state["ui.lang"] = "ru"
    at.run()
    at.switch_page("pages/costs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric[0].value == "$0.1250"
    assert at.selectbox(key="cf_then.ru").value == "model"
    assert "Затраты" in texts(at)


def test_costs_page_says_so_when_empty(db: str) -> None:
    at = open_page("costs", lang="ru")
    assert not at.exception
    assert "В этом срезе нет вызовов модели." in texts(at)


def test_csv_export_is_safe_for_spreadsheets() -> None:
    from core.services.cost_report import to_csv

    data = to_csv([{"course": '=HYPERLINK("http://x")', "cost_usd": 1.0}])
    row = next(csv.DictReader(io.StringIO(data.decode())))
    assert row["course"].startswith("'=")


def test_costs_filters_keep_their_values_across_a_language_switch(db: str) -> None:
    _seed(db)
    at = open_page("costs")
    at.selectbox(key="cf_preset.en").set_value("all").run()
    at.selectbox(key="cf_group.en").set_value("model").run()
    at.selectbox(key="cf_then.en").set_value("outcome").run()
    at.session_state["ui.lang"] = "ru"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cf_preset.ru").value == "all"
    assert at.selectbox(key="cf_group.ru").value == "model"
    assert at.selectbox(key="cf_then.ru").value == "outcome"
    assert "За всё время" in at.selectbox(key="cf_preset.ru").options
    assert at.metric[0].value == "$9.8750"
    assert (at.query_params["preset"], at.query_params["group"], at.query_params["then"]) == (
        "all",
        "model",
        "outcome",
    )


def test_a_new_call_shows_at_once_and_a_settled_range_stays_cached(db: str) -> None:
    from core.services.analytics import CostFilter
    from ui.costs import _version

    _seed(db)
    at = open_page("costs")
    assert at.metric[0].value == "$0.8750"
    url = str(db)
    today = datetime.now(UTC).date()
    settled = CostFilter(start=today - timedelta(days=500), end=today - timedelta(days=300))
    current = CostFilter(start=today - timedelta(days=7), end=today)
    before = (_version(url, settled), _version(url, current))
    with session_scope() as session:
        job = session.exec(select(Job)).first()
        session.add(
            LLMCall(
                job_id=job.id,
                course_id=job.course_id,
                step="slides",
                provider="openai",
                model="gpt-4.1",
                prompt_id="slides",
                prompt_version="1.0.0",
                prompt_checksum="x",
                cost_usd=0.125,
                outcome="ok",
            )
        )
    at.run()
    assert at.metric[0].value == "$1.0000"  # the cached view was invalidated by the call
    assert _version(url, settled) == before[0]  # nothing can land in a range long over
    assert _version(url, current) != before[1]

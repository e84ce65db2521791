"""The Costs page shows calls left "started" by a dead process as unknown, with their
estimated cost, and the prices in effect (issue 8)."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.jobs import create_job
from core.models import JobStatus, LLMCall
from tests.app.conftest import open_page, texts


@pytest.mark.parametrize(("lang", "words"), [("en", "unknown cost"), ("ru", "неизвестна стоимость")])
def test_costs_page_shows_unknown_calls_with_their_estimate(db: str, lang: str, words: str) -> None:
    with session_scope() as session:
        job = create_job(session, kind="lessons", payload={})
        job.status = JobStatus.failed
        session.add(job)
        session.flush()
        session.add(LLMCall(job_id=job.id, step="lesson", provider="openai", model="gpt-4.1-mini",
                            prompt_id="lesson", prompt_version="1.0.0", prompt_checksum="x",
                            outcome="started", estimated_cost_usd=0.0123))  # fmt: skip
    at = open_page("costs", lang=lang)
    shown = texts(at)
    assert words in shown and "$0.0123" in shown
    (table, *_) = [df.value for df in at.dataframe if "id" in df.value.columns]
    assert list(table["id"]) == [1]
    prices = at.dataframe[-1].value
    assert "gpt-4.1-mini" in list(prices["model"])

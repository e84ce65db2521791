"""Budgets are hard caps (issue 8): each call reserves its worst case in llm_calls before it
runs, on SQLite and PostgreSQL, across threads and processes; unpriced models are refused
for budgeted jobs; rows left "started" show as calls of unknown cost."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from core.db import dispose_engines, session_scope
from core.errors import AppError, Code
from core.jobs import create_job, wait_for
from core.llm import budget
from core.llm.base import LLMRequest
from core.llm.pricing import cost_usd, price_for
from core.models import Job, JobStatus, LLMCall
from core.schemas import CourseParams, SlideDeck
from core.services import generation
from core.services.analytics import CostFilter, grouped
from core.services.costs import unknown_cost_calls
from core.services.courses import create_course
from core.settings import reset_settings
from tests.actors import ADMIN
from tests.fakes.openai_server import FakeOpenAIServer

BUDGET = 0.01


@pytest.fixture
def cheap_server(monkeypatch: pytest.MonkeyPatch, any_db: str) -> Iterator[FakeOpenAIServer]:
    # Random answer sizes, up to each request's max output tokens.
    with FakeOpenAIServer(pad_seed=7) as fake:
        for name, value in {
            "LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": "sk-test-budget-0123456789",
            "OPENAI_BASE_URL": fake.base_url,
            "HTTP_RETRIES": "0",
            "HTTP_TIMEOUT_S": "20",
            "GENERATION_CONCURRENCY": "8",
            # gpt-4.1-nano: a lesson's worst case (6000 output tokens) is about $0.0025, so
            # $0.01 holds a few calls at once and runs out part way through the course.
            "MODEL_OUTLINE": "gpt-4.1-nano",
            "MODEL_LESSON": "gpt-4.1-nano",
            "MODEL_SLIDES": "gpt-4.1-nano",
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield fake


def _course(modules: int = 3, lessons: int = 4) -> int:
    params = CourseParams(
        topic="Budget discipline", module_count=modules, lessons_per_module=lessons,
        total_duration_minutes=modules * lessons * 15,
    )  # fmt: skip
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def _spent(job_id: int) -> tuple[float, int, int]:
    with session_scope() as session:
        spent = session.exec(
            select(func.coalesce(func.sum(LLMCall.cost_usd), 0.0)).where(LLMCall.job_id == job_id)
        ).one()
        calls = session.exec(select(func.count()).select_from(LLMCall).where(LLMCall.job_id == job_id)).one()
        started = session.exec(
            select(func.count())
            .select_from(LLMCall)
            .where(LLMCall.job_id == job_id, LLMCall.outcome == "started")
        ).one()
    return float(spent), int(calls), int(started)


def test_concurrency_8_never_spends_past_a_one_cent_budget(cheap_server: FakeOpenAIServer) -> None:
    course_id = _course()
    job = wait_for(
        int(generation.start_course(course_id=course_id, budget_usd=BUDGET, actor=ADMIN).id or 0), timeout=180
    )
    spent, calls, started = _spent(int(job.id or 0))
    assert job.status == JobStatus.failed and job.error_code == Code.BUDGET_EXCEEDED, job.error_detail
    assert 0 < spent <= BUDGET
    assert started == 0  # every reservation was completed or released
    assert calls == len(cheap_server.requests)  # every call made has its row, no row without a call
    assert calls > 3  # several calls ran (at once: up to 8 threads) before the money ran out
    # The job says why and how to go on.
    assert "budget" in (job.error_detail or "")


def test_no_call_is_made_when_even_one_worst_case_does_not_fit(cheap_server: FakeOpenAIServer) -> None:
    job = wait_for(
        int(generation.start_course(course_id=_course(1, 1), budget_usd=0.0001, actor=ADMIN).id or 0),
        timeout=60,
    )
    assert job.status == JobStatus.failed and job.error_code == Code.BUDGET_EXCEEDED
    assert "not started: this call may cost up to $" in (job.error_detail or "")
    assert cheap_server.requests == [] and _spent(int(job.id or 0)) == (0.0, 0, 0)


def test_a_model_without_a_price_is_refused_for_a_budgeted_job(
    cheap_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheap_server.models["house-model"] = (128_000, 16_384)  # the server knows it; we have no price
    monkeypatch.setenv("MODEL_OUTLINE", "house-model")
    reset_settings()
    job = wait_for(
        int(generation.start_course(course_id=_course(1, 1), budget_usd=1.0, actor=ADMIN).id or 0), timeout=60
    )
    assert job.status == JobStatus.failed and job.error_code == Code.BUDGET_NO_PRICE
    assert "model 'house-model' has no price" in (job.error_detail or "")
    assert "PRICES_FILE" in (job.error_detail or "")
    assert cheap_server.requests == []
    # Without a budget the same model runs (its calls are recorded at cost 0).
    job = wait_for(int(generation.start_outline(course_id=_course(1, 1), actor=ADMIN).id or 0), timeout=60)
    assert job.status == JobStatus.succeeded


def test_a_prices_file_prices_any_model_and_is_used_by_the_budget(
    cheap_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "prices:\n"
        "  - {model: house-model, input: 1.0, cached_input: 0.5, output: 2.0, effective_date: 2020-01-01}\n",
        encoding="utf-8",
    )
    cheap_server.models["house-model"] = (128_000, 16_384)
    monkeypatch.setenv("PRICES_FILE", str(prices))
    monkeypatch.setenv("MODEL_OUTLINE", "house-model")
    reset_settings()
    job = wait_for(int(generation.start_outline(course_id=_course(1, 1), actor=ADMIN).id or 0), timeout=60)
    assert job.status == JobStatus.succeeded
    with session_scope() as session:
        call = session.exec(select(LLMCall)).one()
    assert call.cost_usd == pytest.approx((call.input_tokens * 1.0 + call.output_tokens * 2.0) / 1e6)
    assert call.estimated_cost_usd >= call.cost_usd


# ------------------------------------------------------------------ across processes


def _reserve_many(url: str, job_id: int, n: int, out: multiprocessing.Queue) -> None:
    import os

    os.environ["DATABASE_URL"] = url
    reset_settings()
    dispose_engines()
    request = LLMRequest(step="slides", messages=[{"role": "user", "content": "x" * 400}], schema=SlideDeck,
                         model="gpt-4.1-mini", max_output_tokens=1000)  # fmt: skip
    made = 0
    for _ in range(n):
        row = {"job_id": job_id, "course_id": None, "step": "slides", "node_type": None, "node_id": None,
               "provider": "openai", "model": "gpt-4.1-mini", "prompt_id": "slides", "prompt_version": "1",
               "prompt_checksum": "x", "remediation": False}  # fmt: skip
        try:
            call_id = budget.reserve(row, request, "openai", wait_s=5)
        except AppError:
            break
        made += 1
        # The call "spends" its whole worst case: the tightest case for the cap.
        budget.finish(call_id, {"outcome": "ok", "cost_usd": budget.worst_case_cost(request, "openai")})
    out.put(made)


def test_processes_reserving_for_one_job_never_pass_its_budget(any_db: str) -> None:
    with session_scope() as session:
        job = create_job(session, kind="course", payload={"budget_usd": BUDGET})
        job_id = int(job.id or 0)
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_reserve_many, args=(any_db, job_id, 20, out)) for _ in range(4)]
    for p in procs:
        p.start()
    made = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    spent, calls, started = _spent(job_id)
    per_call = cost_usd("gpt-4.1-mini", 0, 0, 1000)
    assert spent <= BUDGET and started == 0
    assert sum(made) == calls
    assert BUDGET - spent < 2 * per_call + 0.001  # and it used the budget, not a sliver of it


# ------------------------------------------------------------------ unknown cost, dated prices


def test_a_row_left_started_shows_as_unknown_with_its_estimate(any_db: str) -> None:
    with session_scope() as session:
        job = create_job(session, kind="course", payload={})
        job.status = JobStatus.failed  # its process died; the job was reconciled as failed
        session.add(job)
        session.flush()
        session.add(LLMCall(job_id=job.id, step="lesson", provider="openai", model="gpt-4.1-mini",
                            prompt_id="lesson", prompt_version="1.0.0", prompt_checksum="x",
                            outcome="started", estimated_cost_usd=0.0123))  # fmt: skip
        session.add(LLMCall(step="lesson", provider="openai", model="gpt-4.1-mini", prompt_id="lesson",
                            prompt_version="1.0.0", prompt_checksum="x", outcome="started",
                            estimated_cost_usd=0.5))  # fmt: skip  # in flight right now: not unknown
    with session_scope() as session:
        unknown = unknown_cost_calls(session)
        rows = grouped(session, CostFilter(), ("step",))
    assert [(u.step, u.estimated_cost_usd) for u in unknown] == [("lesson", 0.0123)]
    assert rows[0].metrics.failed_calls == 0  # a started call has not failed


def test_calls_are_priced_at_the_price_in_effect_on_their_day() -> None:
    before = datetime(2025, 5, 1, tzinfo=UTC)
    after = before + timedelta(days=60)
    assert price_for("o3", before).output == 40.0 and price_for("o3", after).output == 8.0
    assert cost_usd("o3", 0, 0, 1_000_000, at=before) == pytest.approx(40.0)
    assert cost_usd("o3-2025-04-16", 0, 0, 1_000_000, at=after) == pytest.approx(8.0)


def test_a_refused_reservation_writes_nothing(any_db: str) -> None:
    with session_scope() as session:
        job = create_job(session, kind="course", payload={"budget_usd": 0.0})
        job_id = int(job.id or 0)
    request = LLMRequest(
        step="x", messages=[{"role": "user", "content": "x"}], schema=SlideDeck, model="gpt-4.1-mini"
    )
    row = {"job_id": job_id, "course_id": None, "step": "x", "node_type": None, "node_id": None, "provider": "openai",
           "model": "gpt-4.1-mini", "prompt_id": "p", "prompt_version": "1", "prompt_checksum": "x", "remediation": False}  # fmt: skip
    with pytest.raises(AppError) as err:
        budget.reserve(row, request, "openai", wait_s=0)
    assert err.value.code == Code.BUDGET_EXCEEDED
    with session_scope() as session:
        assert session.get(Job, job_id) is not None
        assert session.exec(select(LLMCall)).all() == []


def test_a_row_left_by_a_dead_process_stays_reserved_but_is_not_waited_for(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope() as session:
        job = create_job(session, kind="course", payload={"budget_usd": BUDGET})
        job_id = int(job.id or 0)
        session.add(LLMCall(job_id=job_id, step="lesson", provider="openai", model="gpt-4.1-mini", prompt_id="lesson",
                            prompt_version="1.0.0", prompt_checksum="x", outcome="started", estimated_cost_usd=0.009,
                            created_at=datetime.now(UTC) - timedelta(hours=1)))  # fmt: skip

    def no_waiting(seconds: float) -> None:
        raise AssertionError("waited for a reservation nobody will release")

    monkeypatch.setattr(budget, "_sleep", no_waiting)
    request = LLMRequest(
        step="x", messages=[{"role": "user", "content": "x"}], schema=SlideDeck, model="gpt-4.1-mini"
    )
    row = {"job_id": job_id, "course_id": None, "step": "x", "node_type": None, "node_id": None, "provider": "openai",
           "model": "gpt-4.1-mini", "prompt_id": "p", "prompt_version": "1", "prompt_checksum": "x", "remediation": False}  # fmt: skip
    with pytest.raises(AppError) as err:
        budget.reserve(row, request, "openai", wait_s=600)
    assert err.value.code == Code.BUDGET_EXCEEDED and "$0.0090 spent or reserved" in err.value.message

"""Cost analytics against a small fixed data set whose totals are computed by hand."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, func, select

from core.db import session_scope
from core.errors import InvalidInput
from core.llm.pricing import Price
from core.models import Course, Job, Lesson, LLMCall, LLMCallRollup, Module
from core.services import analytics
from core.services.analytics import CostFilter


def _call(job: Job, day: str, **kw) -> LLMCall:
    values = {
        "job_id": job.id,
        "course_id": job.course_id,
        "step": "lesson",
        "provider": "openai",
        "model": "gpt-4.1-mini",
        "prompt_id": "lesson",
        "prompt_version": "1.0.0",
        "prompt_checksum": "x",
        "input_tokens": 1000,
        "cached_tokens": 0,
        "output_tokens": 500,
        "cost_usd": 0.01,
        "latency_ms": 100.0,
        "outcome": "ok",
        "created_at": datetime.fromisoformat(day + "T12:00:00+00:00"),
    }
    values.update(kw)
    return LLMCall(**values)


def _seed(session: Session) -> dict[str, int]:
    """Two courses, three jobs, ten calls over three days in two months."""
    a = Course(title="Alpha", params={})
    b = Course(title="Beta", params={})
    session.add_all([a, b])
    session.flush()
    mod = Module(course_id=a.id, title="M")
    session.add(mod)
    session.flush()
    # Alpha is finished: both lessons written, 30 + 20 minutes.
    session.add_all(
        [
            Lesson(
                course_id=a.id, module_id=mod.id, title="L1", duration_minutes=30, detail_status="written"
            ),
            Lesson(
                course_id=a.id, module_id=mod.id, title="L2", duration_minutes=20, detail_status="written"
            ),
        ]
    )
    j1 = Job(kind="lessons", course_id=a.id, status="succeeded", payload={"budget_usd": 0.1})
    j2 = Job(kind="slides", course_id=a.id, status="succeeded", payload={})
    j3 = Job(kind="outline", course_id=b.id, status="failed", payload={})
    session.add_all([j1, j2, j3])
    session.flush()
    session.add_all(
        [
            _call(j1, "2026-10-30", cost_usd=0.02),
            _call(j1, "2026-10-30", cost_usd=0.03, outcome="invalid"),
            _call(j1, "2026-10-30", cost_usd=0.01, remediation=True),
            _call(j1, "2026-11-02", cost_usd=0.04, cached_tokens=400),
            _call(j2, "2026-11-02", step="slides", prompt_id="slides", cost_usd=0.05, model="gpt-4.1"),
            _call(j2, "2026-11-02", step="slides", prompt_id="slides", cost_usd=0.06, model="gpt-4.1"),
            _call(j2, "2026-11-03", step="slides", prompt_id="slides", cost_usd=0.00, outcome="error"),
            _call(
                j3, "2026-11-03", step="outline", prompt_id="outline", cost_usd=0.07, prompt_version="1.1.0"
            ),
            _call(j3, "2026-11-03", step="outline", prompt_id="outline", cost_usd=0.08, outcome="refused"),
            _call(j3, "2026-11-03", step="outline", prompt_id="outline", cost_usd=0.09, provider="offline"),
        ]
    )
    session.flush()
    return {"a": int(a.id or 0), "b": int(b.id or 0), "j1": int(j1.id or 0)}


@pytest.fixture
def seeded(any_db: str) -> dict[str, int]:
    with session_scope() as session:
        return _seed(session)


def _by(by: tuple[str, ...], flt: CostFilter | None = None) -> dict[tuple[str, ...], analytics.Metrics]:
    with session_scope(readonly=True) as session:
        return {r.keys: r.metrics for r in analytics.grouped(session, flt or CostFilter(), by)}


def test_totals_and_waste(seeded: dict[str, int]) -> None:
    with session_scope(readonly=True) as session:
        tot = analytics.totals(session, CostFilter())
    assert tot.calls == 10
    assert tot.cost_usd == pytest.approx(0.45)
    assert tot.failed_calls == 3  # invalid, error, refused
    assert tot.remediated_calls == 1
    assert tot.waste_usd == pytest.approx(0.03 + 0.0 + 0.08)
    assert tot.cached_tokens == 400 and tot.input_tokens == 10_000


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (("day",), {("2026-10-30",): 0.06, ("2026-11-02",): 0.15, ("2026-11-03",): 0.24}),
        (("month",), {("2026-10",): 0.06, ("2026-11",): 0.39}),
        # 2026-10-30 is a Friday (week of Monday 26 Oct); 2 and 3 Nov are in the week of 2 Nov.
        (("week",), {("2026-10-26",): 0.06, ("2026-11-02",): 0.39}),
        (("model",), {("gpt-4.1-mini",): 0.34, ("gpt-4.1",): 0.11}),
        (("step",), {("lesson",): 0.10, ("slides",): 0.11, ("outline",): 0.24}),
        (("job_kind",), {("lessons",): 0.10, ("slides",): 0.11, ("outline",): 0.24}),
        (("outcome",), {("ok",): 0.34, ("invalid",): 0.03, ("error",): 0.0, ("refused",): 0.08}),
        (
            ("prompt_version",),
            {
                ("lesson@1.0.0",): 0.10,
                ("slides@1.0.0",): 0.11,
                ("outline@1.0.0",): 0.17,
                ("outline@1.1.0",): 0.07,
            },
        ),
    ],
)
def test_every_grouping(
    seeded: dict[str, int], by: tuple[str, ...], expected: dict[tuple[str, ...], float]
) -> None:
    got = {k: round(m.cost_usd, 6) for k, m in _by(by).items()}
    assert got == pytest.approx(expected)


def test_course_grouping_is_labelled(seeded: dict[str, int]) -> None:
    got = {k: round(m.cost_usd, 6) for k, m in _by(("course",)).items()}
    assert got == pytest.approx({(f"#{seeded['a']} Alpha",): 0.21, (f"#{seeded['b']} Beta",): 0.24})


def test_two_groupings(seeded: dict[str, int]) -> None:
    got = {k: (m.calls, round(m.cost_usd, 6)) for k, m in _by(("month", "step")).items()}
    assert got == {
        ("2026-10", "lesson"): (3, 0.06),
        ("2026-11", "lesson"): (1, 0.04),
        ("2026-11", "slides"): (3, 0.11),
        ("2026-11", "outline"): (3, 0.24),
    }


def test_filters_compose(seeded: dict[str, int]) -> None:
    def total(**kw) -> float:
        with session_scope(readonly=True) as session:
            return analytics.totals(session, CostFilter(**kw)).cost_usd

    assert total(start=date(2026, 11, 2), end=date(2026, 11, 2)) == pytest.approx(0.15)
    assert total(start=date(2026, 11, 3)) == pytest.approx(0.24)
    assert total(end=date(2026, 10, 31)) == pytest.approx(0.06)
    assert total(course_ids=(seeded["b"],)) == pytest.approx(0.24)
    assert total(models=("gpt-4.1",)) == pytest.approx(0.11)
    assert total(prompt_ids=("outline",), outcomes=("ok",)) == pytest.approx(0.16)
    assert total(prompt_versions=("outline@1.1.0",)) == pytest.approx(0.07)
    assert total(steps=("lesson",), start=date(2026, 11, 1)) == pytest.approx(0.04)
    assert total(job_kinds=("slides",)) == pytest.approx(0.11)
    assert total(providers=("offline",)) == pytest.approx(0.09)
    assert total(models=("no-such-model",)) == 0.0


def test_unit_costs(seeded: dict[str, int]) -> None:
    with session_scope(readonly=True) as session:
        units = analytics.unit_costs(session, CostFilter())
    assert units.finished_courses == 1  # Beta has no lessons written
    assert units.cost_per_course == pytest.approx(0.21)  # Alpha's calls only
    assert units.lessons_written == 3  # three accepted lesson answers
    assert units.cost_per_lesson == pytest.approx(0.10 / 3, abs=1e-6)
    assert units.decks_made == 2
    assert units.cost_per_deck == pytest.approx(0.055)
    assert units.course_minutes == 50
    assert units.cost_per_minute == pytest.approx(0.21 / 50)
    assert units.cache_ratio == pytest.approx(0.04)
    # gpt-4.1-mini: 400 cached tokens at (0.40 - 0.10) $/1M saved.
    assert units.cache_saved_usd == pytest.approx(400 * 0.30 / 1e6)
    assert units.waste_by_outcome == pytest.approx({"invalid": 0.03, "refused": 0.08, "error": 0.0})
    assert units.waste_share == pytest.approx(0.11 / 0.45, abs=1e-4)


def test_reprice_keeps_history(seeded: dict[str, int]) -> None:
    with session_scope(readonly=True) as session:
        before = analytics.totals(session, CostFilter()).cost_usd
        rows = {
            r.model: r for r in analytics.reprice(session, CostFilter(), {"gpt-4.1": Price(10.0, 5.0, 20.0)})
        }
        after = analytics.totals(session, CostFilter()).cost_usd
    assert before == after  # a price change never rewrites recorded costs
    assert rows["gpt-4.1"].recorded_usd == pytest.approx(0.11)
    # 2 calls x (1000 in at $10 + 500 out at $20) per 1M tokens.
    assert rows["gpt-4.1"].today_usd == pytest.approx(2 * (1000 * 10 + 500 * 20) / 1e6)


def test_top_jobs_and_budgets(seeded: dict[str, int]) -> None:
    with session_scope(readonly=True) as session:
        top = analytics.top_jobs(session, CostFilter(), limit=2)
        budgeted = analytics.top_jobs(session, CostFilter(), budgeted_only=True)
    assert [(j.kind, j.cost_usd) for j in top] == [("outline", 0.24), ("slides", 0.11)]
    assert len(budgeted) == 1 and budgeted[0].job_id == seeded["j1"]
    assert budgeted[0].budget_used == pytest.approx(0.10 / 0.1)


def test_the_page_queries_agree_with_the_one_figure_queries(seeded: dict[str, int]) -> None:
    """The Costs page reads several figures per scan (overview, model x day rows, both job
    lists at once); each must equal the figure's own query, filtered or not."""
    for flt in (CostFilter(), CostFilter(models=("gpt-4.1",)), CostFilter(start=date(2026, 11, 3))):
        with session_scope(readonly=True) as session:
            days = analytics.model_day_tokens(session, flt)
            tot, units = analytics.overview(session, flt, model_days=days)
            assert tot == analytics.totals(session, flt)
            assert units == analytics.unit_costs(session, flt)
            assert analytics.reprice(session, flt, model_days=days) == analytics.reprice(session, flt)
            top, budgeted = analytics.top_and_budgeted(session, flt, limit=2, budget_limit=5)
            assert top == analytics.top_jobs(session, flt, limit=2)
            assert budgeted == analytics.top_jobs(session, flt, limit=5, budgeted_only=True)


def test_rollup_plus_live_tail_equals_raw(seeded: dict[str, int]) -> None:
    with session_scope() as session:
        assert analytics.refresh_rollup(session) == 10
        assert analytics.refresh_rollup(session) == 0
        job = session.exec(select(Job)).first()
        assert job is not None
        session.add(_call(job, "2026-11-04", cost_usd=0.5))  # past the watermark: read live
    by_day = {k: m.cost_usd for k, m in _by(("day",)).items()}
    assert by_day[("2026-11-04",)] == pytest.approx(0.5)
    with session_scope(readonly=True) as session:
        assert analytics.totals(session, CostFilter()).cost_usd == pytest.approx(0.95)
    with session_scope() as session:
        analytics.refresh_rollup(session)
    with session_scope(readonly=True) as session:
        assert analytics.totals(session, CostFilter()).cost_usd == pytest.approx(0.95)


def test_calls_in_flight_are_not_folded(seeded: dict[str, int]) -> None:
    with session_scope() as session:
        job = session.exec(select(Job)).first()
        assert job is not None
        started = _call(job, datetime.now(UTC).date().isoformat(), outcome="started", cost_usd=0.2)
        started.created_at = datetime.now(UTC)
        session.add(started)
        session.flush()
        done = _call(job, "2026-11-04", cost_usd=0.3)
        session.add(done)
        session.flush()
        analytics.refresh_rollup(session)
        # The call in flight stops the watermark: it and everything after it stay live.
        folded = session.exec(select(func.sum(LLMCallRollup.calls))).one()
        assert folded == 10
        started.outcome, started.cost_usd = "ok", 0.25
        session.add(started)
    with session_scope() as session:
        analytics.refresh_rollup(session)
    with session_scope(readonly=True) as session:
        assert analytics.totals(session, CostFilter()).cost_usd == pytest.approx(0.45 + 0.25 + 0.3)


def test_concurrent_refreshes_fold_each_call_once(seeded: dict[str, int]) -> None:
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            barrier.wait()
            with session_scope() as session:
                analytics.refresh_rollup(session)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    with session_scope(readonly=True) as session:
        assert session.exec(select(func.sum(LLMCallRollup.calls))).one() == 10
        assert analytics.totals(session, CostFilter()).cost_usd == pytest.approx(0.45)


def test_bad_filters_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        CostFilter.from_query({"start": "2026-13-01"})
    assert err.value.errors[0]["field"] == "start"
    with pytest.raises(InvalidInput):
        CostFilter(start=date(2026, 11, 5), end=date(2026, 11, 1))
    with pytest.raises(InvalidInput):
        CostFilter.from_query({"course_ids": "1,x"})


def test_filter_round_trips_through_a_url_query() -> None:
    flt = CostFilter(start=date(2026, 11, 1), models=("gpt-4.1", "gpt-5"), course_ids=(3, 4))
    assert CostFilter.from_query(flt.to_query()) == flt


def test_unknown_grouping_is_refused(seeded: dict[str, int]) -> None:
    with session_scope(readonly=True) as session, pytest.raises(InvalidInput):
        analytics.grouped(session, CostFilter(), ("colour",))
    with session_scope(readonly=True) as session, pytest.raises(InvalidInput):
        analytics.grouped(session, CostFilter(), ("day", "day"))


def test_quality_per_dollar_joins_the_latest_evaluation(seeded: dict[str, int]) -> None:
    from core.models import EvalRun

    with session_scope() as session:
        for adherence in (0.5, 0.9):  # the later run wins
            session.add(
                EvalRun(
                    prompt_id="outline",
                    target="label:production@1.1.0",
                    provider="offline",
                    scores={"constraint_adherence": adherence, "schema_validity": 1.0},
                    report={"version": "1.1.0"},
                )
            )
    with session_scope(readonly=True) as session:
        rows = {r.prompt_version: r for r in analytics.prompt_quality(session, CostFilter())}
    assert rows["outline@1.1.0"].scores == {"constraint_adherence": 0.9, "schema_validity": 1.0}
    assert rows["outline@1.1.0"].cost_per_call == pytest.approx(0.07)
    assert rows["outline@1.1.0"].tokens_per_call == 1500
    assert rows["lesson@1.0.0"].scores == {} and rows["lesson@1.0.0"].eval_provider is None

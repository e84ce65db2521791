"""Spending caps per user and for the team (issue 9), on SQLite and PostgreSQL: a
generation that would pass a cap is refused before its first call, with the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from core.auth import Role
from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import JobContext, create_job, start_job
from core.models import Job, JobStatus, LLMCall
from core.services import generation, users
from core.settings import reset_settings
from core.spending import check_caps, spending_status, spent_usd
from tests.actors import ADMIN, person
from tests.factories import make_course

ANN = person("ann@example.com", Role.author)
BOB = person("bob@example.com", Role.author)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _spend(email: str | None, usd: float, when: datetime, course_id: int | None = None) -> None:
    """A finished job of `email` with one model call of `usd` at `when`."""
    with session_scope() as session:
        job = create_job(session, kind="lessons", course_id=course_id, started_by=email)
        job.status = JobStatus.succeeded  # a finished job: no runner picks it up
        session.add(
            LLMCall(
                job_id=job.id,
                course_id=course_id,
                step="lesson",
                provider="openai",
                model="gpt-4.1-mini",
                prompt_id="lesson",
                prompt_version="1.0.0",
                prompt_checksum="x",
                cost_usd=usd,
                outcome="ok",
                created_at=when,
            )
        )


def _caps(monkeypatch: pytest.MonkeyPatch, **caps: float) -> None:
    for name, value in caps.items():
        monkeypatch.setenv(f"SPEND_CAP_{name.upper()}_USD", str(value))
    reset_settings()


def _jobs() -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Job)).one())


def test_spend_is_summed_per_user_and_for_the_team_per_day_and_month(any_db: str) -> None:
    _spend(ANN.email, 1.25, NOW - timedelta(hours=1))
    _spend(ANN.email, 2.00, NOW - timedelta(days=3))  # this month, not today
    _spend(ANN.email, 9.00, NOW - timedelta(days=40))  # last month
    _spend(BOB.email, 0.50, NOW - timedelta(hours=2))
    _spend(None, 0.10, NOW - timedelta(hours=3))  # a call outside a user's job
    day, month = NOW.replace(hour=0), NOW.replace(day=1, hour=0)
    with session_scope() as session:
        assert spent_usd(session, since=day, email=ANN.email) == pytest.approx(1.25)
        assert spent_usd(session, since=month, email=ANN.email) == pytest.approx(3.25)
        assert spent_usd(session, since=day, email=BOB.email) == pytest.approx(0.50)
        assert spent_usd(session, since=day) == pytest.approx(1.85)
        assert spent_usd(session, since=month) == pytest.approx(3.85)
        status = {
            (s.scope, s.period): s.spent_usd for s in spending_status(session, email=ANN.email, now=NOW)
        }
    assert status == pytest.approx(
        {("user", "day"): 1.25, ("user", "month"): 3.25, ("team", "day"): 1.85, ("team", "month"): 3.85}
    )


def test_a_user_over_the_daily_cap_is_refused_with_the_figures_and_nothing_starts(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _caps(monkeypatch, user_daily=1.0)
    with session_scope() as session:
        cid = make_course(session, modules=1, lessons=1, slides=0, language="en")
    _spend(ANN.email, 1.0, datetime.now(UTC), cid)
    before = _jobs()
    with pytest.raises(AppError) as info:
        generation.start_lessons(actor=ANN, course_id=cid)
    err = info.value
    assert err.code == Code.BUDGET_CAP
    assert "ann@example.com's daily spending cap is $1.00; spent $1.00" in err.message
    assert err.details["scope"] == "user" and err.details["period"] == "day"
    assert _jobs() == before  # refused before a job (and so any call) exists
    # Bob has his own budget today.
    assert generation.start_slides(actor=BOB, course_id=cid).started_by == BOB.email


def test_the_estimate_counts_a_generation_that_would_pass_the_cap_is_refused(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _caps(monkeypatch, user_monthly=5.0)
    _spend(ANN.email, 4.0, NOW - timedelta(days=1))
    with session_scope() as session:
        check_caps(session, email=ANN.email, estimate_usd=0.99, now=NOW)  # fits
        with pytest.raises(AppError) as info:
            check_caps(session, email=ANN.email, estimate_usd=1.50, now=NOW)
    assert info.value.code == Code.BUDGET_CAP
    assert info.value.details == {
        "scope": "user",
        "period": "month",
        "spent_usd": 4.0,
        "cap_usd": 5.0,
        "estimate_usd": 1.5,
    }
    assert "monthly spending cap is $5.00; spent $4.00 so far, this generation is estimated at $1.50" in (
        info.value.message
    )


def test_the_team_cap_holds_for_everyone(any_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _caps(monkeypatch, team_daily=2.0, user_daily=10.0)
    _spend(ANN.email, 1.5, datetime.now(UTC))
    _spend(BOB.email, 0.6, datetime.now(UTC))
    with pytest.raises(AppError) as info:
        start_job(kind="playground", actor=person("carl@example.com", Role.prompt_engineer), payload={})
    assert info.value.code == Code.BUDGET_CAP
    assert "the team's daily spending cap is $2.00; spent $2.10" in info.value.message


def test_a_users_own_cap_on_the_users_page_wins_over_the_setting(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _caps(monkeypatch, user_daily=1.0)
    _spend(ANN.email, 1.2, datetime.now(UTC))
    with session_scope() as session:
        users.add_user(session, actor=ADMIN, email=ANN.email, role="author")
        users.set_caps(session, actor=ADMIN, email=ANN.email, daily_cap_usd=3.0, monthly_cap_usd=None)
    with session_scope() as session:
        check_caps(session, email=ANN.email)  # 1.2 of her own 3.0
        users.set_caps(session, actor=ADMIN, email=ANN.email, daily_cap_usd=1.1, monthly_cap_usd=None)
    with session_scope() as session, pytest.raises(AppError, match=r"cap is \$1\.10; spent \$1\.20"):
        check_caps(session, email=ANN.email)


def test_a_running_job_stops_before_its_next_call_once_its_user_reaches_a_cap(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _caps(monkeypatch, user_daily=1.0)
    with session_scope() as session:
        job = create_job(session, kind="lessons", started_by=ANN.email)
        job.status = JobStatus.succeeded  # a finished job: no runner picks it up
    ctx = JobContext(job)
    ctx.check_budget()  # nothing spent yet
    _spend(ANN.email, 1.0, datetime.now(UTC))  # another job of hers spent the rest
    with pytest.raises(AppError) as info:
        ctx.check_budget()
    assert info.value.code == Code.BUDGET_CAP


def test_no_cap_configured_means_no_refusal(any_db: str) -> None:
    _spend(ANN.email, 1000.0, datetime.now(UTC))
    with session_scope() as session:
        check_caps(session, email=ANN.email, estimate_usd=1000.0)

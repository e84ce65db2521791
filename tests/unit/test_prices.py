"""Prices with dates as data: admins schedule a price, calls are charged at the price of
their day, history is never rewritten, reprice shows today's (or a scheduled) price."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from core.auth import Role
from core.db import session_scope
from core.errors import AppError, Code, InvalidInput
from core.llm import pricing
from core.llm.pricing import Price, cost_usd, price_for
from core.models import LLMCall, ModelPrice
from core.services import analytics, prices
from core.services.analytics import CostFilter
from tests.actors import ADMIN, person

TODAY = datetime.now(UTC).date()
TOMORROW = TODAY + timedelta(days=1)
MINI = Price(0.40, 0.10, 1.60)  # gpt-4.1-mini in the shipped file


def _form(**kw) -> dict:
    return {
        "model": "gpt-4.1-mini",
        "input": 0.80,
        "cached_input": 0.20,
        "output": 3.20,
        "effective_from": TOMORROW,
    } | kw


def _call(day: date, **kw) -> LLMCall:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    tin, cached, tout = 1_000_000, 0, 1_000_000
    values = {
        "step": "lesson",
        "provider": "openai",
        "model": "gpt-4.1-mini",
        "prompt_id": "lesson",
        "prompt_version": "1.0.0",
        "prompt_checksum": "x",
        "input_tokens": tin,
        "cached_tokens": cached,
        "output_tokens": tout,
        # What the gateway records: the price in effect when the call was made.
        "cost_usd": cost_usd("gpt-4.1-mini", tin, cached, tout, at=at),
        "outcome": "ok",
        "created_at": at,
    } | kw
    return LLMCall(**values)


def test_a_price_change_on_a_date_prices_calls_from_that_day(any_db: str) -> None:
    assert price_for("gpt-4.1-mini", TOMORROW) == MINI
    with session_scope() as session:
        row = prices.set_price(session, _form(note="list price doubled"), actor=ADMIN)
    assert row.created_by == ADMIN.label
    # Today's calls keep today's price; from tomorrow on (snapshots too) the new one.
    assert price_for("gpt-4.1-mini", TODAY) == MINI
    assert price_for("gpt-4.1-mini", TOMORROW) == Price(0.80, 0.20, 3.20)
    assert price_for("gpt-4.1-mini-2025-04-14", TOMORROW + timedelta(days=30)) == Price(0.80, 0.20, 3.20)
    at = datetime(TOMORROW.year, TOMORROW.month, TOMORROW.day, 0, 0, 1, tzinfo=UTC)
    assert cost_usd("gpt-4.1-mini", 0, 0, 1_000_000, at=at) == pytest.approx(3.20)
    assert cost_usd("gpt-4.1-mini", 0, 0, 1_000_000, at=at - timedelta(seconds=2)) == pytest.approx(1.60)


def test_changing_a_price_never_rewrites_recorded_costs(any_db: str) -> None:
    with session_scope() as session:
        session.add_all([_call(TODAY - timedelta(days=3)), _call(TODAY)])
    flt = CostFilter()
    with session_scope() as session:
        analytics.refresh_rollup(session)
        before = analytics.totals(session, flt).cost_usd
        prices.set_price(session, _form(), actor=ADMIN)
    with session_scope() as session:
        assert analytics.totals(session, flt).cost_usd == before == pytest.approx(2 * (0.40 + 1.60))
        recorded = session.exec(select(LLMCall.cost_usd)).all()
        assert recorded == [pytest.approx(2.0), pytest.approx(2.0)]
        # The scheduled price is what reprice at that day shows; today's prices change nothing yet.
        (today,) = analytics.reprice(session, flt)
        (scheduled,) = analytics.reprice(session, flt, on=TOMORROW)
    assert today.recorded_usd == today.today_usd == pytest.approx(4.0)
    assert scheduled.recorded_usd == pytest.approx(4.0)
    assert scheduled.today_usd == pytest.approx(2 * (0.80 + 3.20))


def test_reprice_uses_a_price_now_in_effect(db: str) -> None:
    """A price scheduled earlier took effect yesterday: calls before it stay at the old
    price, reprice shows the whole period at the new one."""
    with session_scope() as session:
        session.add(_call(TODAY - timedelta(days=10)))
        # Written as the service did days ago (the service refuses a day already begun).
        session.add(
            ModelPrice(
                model="gpt-4.1-mini",
                input=0.20,
                cached_input=0.05,
                output=0.80,
                effective_from=TODAY - timedelta(days=1),
                created_by="admin@example.com",
            )
        )
    pricing.invalidate_admin_prices()
    with session_scope() as session:
        session.add(_call(TODAY))
    with session_scope() as session:
        rows = session.exec(select(LLMCall.cost_usd).order_by(LLMCall.id)).all()
        (repriced,) = analytics.reprice(session, CostFilter())
    assert rows == [pytest.approx(2.0), pytest.approx(1.0)]
    assert repriced.recorded_usd == pytest.approx(3.0)
    assert repriced.today_usd == pytest.approx(2 * (0.20 + 0.80))


@pytest.mark.parametrize("role", [Role.analyst, Role.author, Role.prompt_engineer, Role.reviewer])
def test_only_admins_change_prices(db: str, role: Role) -> None:
    someone = person("ann@example.com", role)
    with session_scope() as session:
        with pytest.raises(AppError) as refused:
            prices.set_price(session, _form(), actor=someone)
        assert refused.value.code == Code.AUTH_FORBIDDEN
        assert "may not change model prices" in refused.value.message
        scheduled = prices.set_price(session, _form(), actor=ADMIN)
        with pytest.raises(AppError) as refused:
            prices.withdraw_price(session, int(scheduled.id or 0), actor=someone)
        assert refused.value.code == Code.AUTH_FORBIDDEN
    with session_scope() as session:
        assert len(session.exec(select(ModelPrice)).all()) == 1


@pytest.mark.parametrize(
    ("form", "field", "kind"),
    [
        (_form(effective_from=TODAY), "effective_from", "price_not_ahead"),
        (_form(effective_from=TODAY - timedelta(days=40)), "effective_from", "price_not_ahead"),
        (_form(effective_from=TODAY + timedelta(days=3650)), "effective_from", "price_too_far"),
        (_form(cached_input=0.9), "cached_input", "price_cached_above"),
        (_form(input=-1), "input", "greater_than_equal"),
        (_form(output=20_000), "output", "less_than_equal"),
        (_form(output=float("nan")), "output", "finite_number"),
        (_form(model="GPT 4.1 mini"), "model", "string_pattern_mismatch"),
        (_form(model=""), "model", "string_too_short"),
        (_form(effective_from="next week"), "effective_from", "date_from_datetime_parsing"),
    ],
)
def test_bad_prices_are_refused_with_the_field(db: str, form: dict, field: str, kind: str) -> None:
    with session_scope() as session, pytest.raises(InvalidInput) as refused:
        prices.set_price(session, form, actor=ADMIN)
    problems = {(e["field"], e["type"]) for e in refused.value.errors}
    assert (field, kind) in problems, refused.value.errors
    assert refused.value.message.startswith("the price is not saved: ")


def test_second_price_on_the_same_day_is_refused(db: str) -> None:
    with session_scope() as session:
        prices.set_price(session, _form(), actor=ADMIN)
    with session_scope() as session, pytest.raises(InvalidInput) as refused:
        prices.set_price(session, _form(model=" GPT-4.1-Mini ", input=0.5), actor=ADMIN)
    (problem,) = refused.value.errors
    assert problem["type"] == "price_day_taken" and problem["ctx"]["by"] == ADMIN.label


def test_a_scheduled_price_can_be_withdrawn_before_its_day_only(db: str) -> None:
    with session_scope() as session:
        ahead = prices.set_price(session, _form(effective_from=TOMORROW + timedelta(days=5)), actor=ADMIN)
        begun = ModelPrice(
            model="o3", input=1, cached_input=0.25, output=4, effective_from=TODAY, created_by="x"
        )
        session.add(begun)
        session.flush()
        ahead_id, begun_id = int(ahead.id or 0), int(begun.id or 0)
    assert price_for("gpt-4.1-mini", TOMORROW + timedelta(days=5)).input == 0.80
    with session_scope() as session:
        prices.withdraw_price(session, ahead_id, actor=ADMIN)
        with pytest.raises(AppError) as refused:
            prices.withdraw_price(session, begun_id, actor=ADMIN)
        assert refused.value.details["type"] == "price_in_effect"
        with pytest.raises(AppError) as missing:
            prices.withdraw_price(session, 9999, actor=ADMIN)
        assert missing.value.code == Code.NOT_FOUND
    assert price_for("gpt-4.1-mini", TOMORROW + timedelta(days=5)) == MINI


def test_history_lists_file_and_admin_prices_with_what_is_in_effect(db: str) -> None:
    with session_scope() as session:
        prices.set_price(session, _form(), actor=ADMIN)
        prices.set_price(
            session,
            _form(model="my-local-llama", input=0, cached_input=0, output=0.1, note="self-hosted"),
            actor=ADMIN,
        )
        rows = prices.price_history(session)
    o3 = [(r.effective_from, r.status, r.source) for r in rows if r.model == "o3"]
    assert o3 == [(date(2025, 6, 10), "current", "file"), (date(2025, 4, 16), "past", "file")]
    mini = [(r.status, r.source, r.input) for r in rows if r.model == "gpt-4.1-mini"]
    assert mini == [("scheduled", "admin", 0.80), ("current", "file", 0.40)]
    llama = next(r for r in rows if r.model == "my-local-llama")
    assert (llama.status, llama.note, llama.created_by) == ("scheduled", "self-hosted", ADMIN.label)


def test_an_admin_price_on_a_file_day_replaces_the_file_entry(db: str) -> None:
    with session_scope() as session:
        session.add(
            ModelPrice(
                model="o3",
                input=3.0,
                cached_input=0.75,
                output=12.0,
                effective_from=date(2025, 6, 10),
                created_by="x",
            )
        )
    pricing.invalidate_admin_prices()
    assert price_for("o3", date(2025, 7, 1)) == Price(3.0, 0.75, 12.0)
    assert price_for("o3", date(2025, 5, 1)) == Price(10.0, 2.5, 40.0)


def test_another_process_sees_a_new_price_after_its_cache_expires(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert price_for("gpt-4.1-mini", TOMORROW) == MINI  # cached now
    with session_scope() as session:
        # Another process wrote it: this process's cache is not told.
        session.add(ModelPrice(**_form(), created_by="other"))
    assert price_for("gpt-4.1-mini", TOMORROW) == MINI
    monkeypatch.setattr(pricing, "ADMIN_PRICES_TTL_S", 0.0)
    assert price_for("gpt-4.1-mini", TOMORROW) == Price(0.80, 0.20, 3.20)


def test_an_unmigrated_database_prices_from_the_file() -> None:
    # The default test database is never migrated: no model_prices table.
    assert price_for("gpt-4.1-mini") == MINI


def test_two_admins_saving_the_same_day_at_once_store_one_price(any_db: str) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(price: float) -> None:
        try:
            with session_scope() as session:
                barrier.wait(timeout=10)
                prices.set_price(session, _form(input=price, cached_input=0.1), actor=ADMIN)
            outcomes.append("saved")
        except InvalidInput as exc:
            outcomes.append(exc.errors[0]["type"])

    threads = [threading.Thread(target=save, args=(p,)) for p in (0.5, 0.6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert sorted(outcomes) == ["price_day_taken", "saved"]
    with session_scope() as session:
        assert len(session.exec(select(ModelPrice)).all()) == 1

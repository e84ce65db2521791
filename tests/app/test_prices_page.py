"""The admin price form on the Costs page: refusals said in the person's language next to
the field, a scheduled price saved and listed, withdrawn; other roles get no form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.auth import Role
from core.db import session_scope
from core.models import ModelPrice
from core.services import prices
from tests.actors import ADMIN, person
from tests.app.conftest import open_page, texts
from ui import state

COSTS_PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "costs.py")
TOMORROW = datetime.now(UTC).date() + timedelta(days=1)


def _fill(at: AppTest, **values: object) -> AppTest:
    for name, value in values.items():
        widget = at.text_input(key=f"price_{name}") if name in ("model", "note") else None
        if widget is None:
            widget = (
                at.date_input(key="price_from") if name == "from" else at.number_input(key=f"price_{name}")
            )
        widget.set_value(value)
    at.button[[b.label for b in at.button].index(_label(at, "Save price", "Сохранить цену"))].click()
    return at.run()


def _label(at: AppTest, en: str, ru: str) -> str:
    return ru if at.session_state["ui.lang"] == "ru" else en


def _table_with(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    (table,) = [d.value for d in at.dataframe if column in d.value.columns]
    return table


def _stored() -> list[tuple[str, float, str]]:
    with session_scope() as session:
        return [
            (p.model, p.input, p.effective_from.isoformat()) for p in session.exec(select(ModelPrice)).all()
        ]


def test_an_admin_schedules_a_price_after_a_refusal_in_russian(db: str) -> None:
    at = open_page("costs", lang="ru")
    assert not at.exception, [e.value for e in at.exception]
    # Cached input dearer than input, and a day already begun: both said in Russian, by field.
    _fill(
        at,
        model="gpt-4.1-mini",
        input=0.5,
        cached_input=0.9,
        output=2.0,
        **{"from": TOMORROW - timedelta(days=1)},
    )
    assert not at.exception, [e.value for e in at.exception]
    # Markdown escapes (md_escape) are not what the person reads.
    (error,) = [e.value.replace("\\", "") for e in at.error]
    assert error.startswith("Цена не сохранена:")
    assert "Кэшированный ввод, $ за 1 млн токенов: кэшированный ввод стоит не больше обычного ввода" in error
    assert f"Действует с (UTC): новая цена начинается с ещё не наступившего дня ({TOMORROW}" in error
    assert _stored() == []
    _fill(at, cached_input=0.125, note="снижение цены", **{"from": TOMORROW})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert f"Цена gpt-4.1-mini с {TOMORROW} сохранена." in [s.value for s in at.success]
    assert _stored() == [("gpt-4.1-mini", 0.5, TOMORROW.isoformat())]
    history = at.dataframe[-1].value
    scheduled = history[history["status"] == "запланирована"]
    assert list(scheduled["model"]) == ["gpt-4.1-mini"]
    assert list(scheduled["source"]) == [f"администратор: {ADMIN.label}"]


def test_an_admin_withdraws_a_scheduled_price(db: str) -> None:
    with session_scope() as session:
        prices.set_price(
            session,
            {"model": "o3", "input": 1, "cached_input": 0.25, "output": 4, "effective_from": TOMORROW},
            actor=ADMIN,
        )
    at = open_page("costs")
    at.selectbox(key="price_withdraw.en").set_value(at.selectbox(key="price_withdraw.en").options[0])
    at.button(key="price_withdraw_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"Price o3 · {TOMORROW} withdrawn." in [s.value for s in at.success]
    assert _stored() == []
    assert "No prices are scheduled." in texts(at)


def test_an_analyst_sees_prices_but_no_form(db: str) -> None:
    at = AppTest.from_file(COSTS_PAGE, default_timeout=30)
    at.session_state[state.ACTOR] = person("ann@example.com", Role.analyst)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Only admins change prices." in texts(at)
    assert not [w for w in at.text_input if w.key == "price_model"]
    assert "gpt-4.1-mini" in list(at.dataframe[-1].value["model"])


def test_the_reprice_tab_prices_the_period_at_a_scheduled_day(db: str) -> None:
    from core.models import LLMCall

    with session_scope() as session:
        session.add(
            LLMCall(
                step="lesson",
                provider="openai",
                model="gpt-4.1-mini",
                prompt_id="lesson",
                prompt_version="1.0.0",
                prompt_checksum="x",
                input_tokens=1_000_000,
                output_tokens=1_000_000,
                cost_usd=2.0,  # 0.40 + 1.60 at today's price
                outcome="ok",
            )
        )
        prices.set_price(
            session,
            {
                "model": "gpt-4.1-mini",
                "input": 1,
                "cached_input": 0.5,
                "output": 3,
                "effective_from": TOMORROW,
            },
            actor=ADMIN,
        )
    at = open_page("costs")
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="cf_reprice_on.en")
    assert picker.options == ["today", TOMORROW.isoformat()]
    repriced = _table_with(at, "today_usd")
    assert list(repriced["today_usd"]) == [2.0]
    picker.set_value(TOMORROW).run()
    assert not at.exception, [e.value for e in at.exception]
    repriced = _table_with(at, "today_usd")
    assert list(repriced["recorded_usd"]) == [2.0] and list(repriced["today_usd"]) == [4.0]

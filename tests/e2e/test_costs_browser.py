"""The Costs page in chromium as an analyst uses it: pick a period and a grouping, see the
chart, download the CSV, and open the shared link in a fresh browser to see the same view."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.db import dispose_engines, migrate, session_scope
from core.models import Course, Job, LLMCall
from tests.browser import launch
from tests.e2e.language_check import check_page
from tests.e2e.test_wizard_browser import SHOTS, TIMEOUT_MS, _assert_no_server_errors, server  # noqa: F401

pytestmark = pytest.mark.e2e


def _seed(url: str) -> None:
    migrate(url)
    now = datetime.now(UTC)
    with session_scope(url) as session:
        course = Course(title="Курс аналитики", params={})
        session.add(course)
        session.flush()
        job = Job(kind="lessons", course_id=course.id, status="succeeded", payload={"budget_usd": 2.0})
        session.add(job)
        session.flush()
        for day in range(20):
            for model, cost in (("gpt-4.1-mini", 0.02), ("gpt-4.1", 0.05)):
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
                        input_tokens=1000,
                        cached_tokens=200,
                        output_tokens=400,
                        cost_usd=cost,
                        outcome="ok" if day % 7 else "error",
                        created_at=now - timedelta(days=day, hours=1),
                    )
                )
    dispose_engines()


def test_costs_view_is_shared_by_link(server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright import sync_api

    _seed(f"sqlite:///{tmp_path / 'e2e.db'}")
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "/?lang=ru")
        page.get_by_role("link", name="Затраты").click()
        expect(page.get_by_role("heading", name="Затраты")).to_be_visible()

        def pick(label: str, option: str) -> None:
            """Choose in a selectbox. A rerun still drawing from the last choice can close
            the list under the click; a person opens it again, so does this."""
            box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
            for _ in range(3):
                box.click()
                try:
                    page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
                    break
                except sync_api.TimeoutError:
                    page.keyboard.press("Escape")
            # Streamlit 1.67 shows the choice as the combobox input's value, not as text.
            shown = ""
            for _ in range(30):
                shown = str(
                    box.evaluate(
                        "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')"
                    )
                )
                if option in shown:
                    break
                page.wait_for_timeout(500)  # polling the page, not a timing assertion
            else:
                page.screenshot(path=str(SHOTS / "costs-pick-failed.png"), full_page=True)
                raise AssertionError(f"{label}: expected {option!r}, the box shows {shown!r}")

        pick("Период", "Последние 7 дней")
        pick("Группировать по", "День")
        pick("Затем по", "Модель")
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
        # 7 days x (0.02 + 0.05)
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("$0.4900")
        page.wait_for_timeout(500)  # let the chart paint for the screenshot; not a sync point
        page.screenshot(path=str(SHOTS / "costs-ru-1440.png"), full_page=True)

        with page.expect_download() as info:
            page.get_by_role("button", name="Скачать CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
        assert rows[-1]["day"] == "total" and float(rows[-1]["cost_usd"]) == pytest.approx(0.49)
        assert {r["model"] for r in rows[:-1]} == {"gpt-4.1-mini", "gpt-4.1"}

        shared = page.url
        assert "group=day" in shared and "then=model" in shared and "preset=7d" in shared
        other = browser.new_context(viewport={"width": 800, "height": 1100})
        fresh = other.new_page()
        fresh.set_default_timeout(TIMEOUT_MS)
        fresh.goto(shared)
        expect(fresh.get_by_role("heading", name="Затраты")).to_be_visible()
        expect(fresh.get_by_test_id("stMetricValue").first).to_have_text("$0.4900")
        expect(fresh.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
        fresh.wait_for_timeout(500)
        fresh.screenshot(path=str(SHOTS / "costs-ru-800-shared.png"), full_page=True)
        other.close()

        # Nothing English on the Russian page (the price table and the admin form included).
        expect(page.get_by_text("Цены моделей (USD за 1 млн токенов)")).to_be_visible()
        check_page(page, "ru", "costs (ru)", content=("Курс аналитики",))
        page.get_by_role("button", name="Сохранить цену").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "costs-ru-prices.png"))

        # Then English: the same view, its choices kept (values, not Russian labels).
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        expect(page.get_by_role("heading", name="Costs")).to_be_visible()
        for label, shown in (("Period", "Last 7 days"), ("Group by", "Day"), ("Then by", "Model")):
            box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
            expect(box.locator("input")).to_have_value(shown)
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("$0.4900")
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
        assert "preset=7d" in page.url and "then=model" in page.url
        check_page(page, "en", "costs (en)", content=("Курс аналитики",))
        page.wait_for_timeout(500)  # let the chart paint for the screenshot; not a sync point
        page.screenshot(path=str(SHOTS / "costs-en-1440.png"), full_page=True)
        browser.close()
    _assert_no_server_errors()

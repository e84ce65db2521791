"""Evaluations compare in a real browser (issue 12): two recorded runs, the baseline list
never offers the run chosen on the left, and the table speaks the interface language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import launch
from tests.e2e.app_server import ROOT, assert_no_server_errors, run_app

pytestmark = pytest.mark.e2e


def _seed(db: Path) -> None:
    from core.db import migrate, session_scope
    from core.models import EvalRun

    url = f"sqlite:///{db}"
    migrate(url)
    for target, adherence in (("1.0.0", 0.99), ("1.1.0", 0.60)):
        scores = {"schema_validity": 1.0, "field_completeness": 1.0, "constraint_adherence": adherence,
                  "split_stability": 1.0, "cost_usd_per_run": 0.0, "latency_ms_mean": 5.0}  # fmt: skip
        report = {"provider": "offline", "version": target, "cases": 14, "repeats": 2, "scores": scores}
        with session_scope(url) as session:
            session.add(
                EvalRun(prompt_id="outline", target=target, provider="offline", scores=scores, report=report)
            )


def test_evaluations_compare_two_runs_in_russian(tmp_path: Path) -> None:
    from playwright import sync_api

    shots = ROOT / "test-output" / "evaluations"
    shots.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "evals.db"
    _seed(db)
    expect = sync_api.expect
    expect.set_options(timeout=60_000)
    with run_app(db, shots / "server.log") as server, sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            page.goto(server)
            page.get_by_test_id("stSidebar").get_by_text("Русский", exact=True).click()
            page.get_by_test_id("stSidebarNav").get_by_text("Оценки", exact=True).click()
            expect(page.get_by_role("heading", name="Сравнить два запуска")).to_be_visible()
            main = page.get_by_test_id("stMain")
            # Run #2 is chosen on the left; the baseline offers #1 only.
            baseline = main.get_by_test_id("stSelectbox").filter(has_text="База")
            baseline.click()
            options = page.get_by_role("option")
            expect(options).to_have_count(1)
            expect(options.first).to_contain_text("#1 ")
            page.keyboard.press("Escape")
            expect(main.get_by_text("Упали больше чем на 0.05: Соблюдение ограничений")).to_be_visible()
            page.wait_for_timeout(300)  # let the last delta paint; not used for synchronisation
            page.screenshot(path=str(shots / "compare-ru.png"), full_page=True)
        finally:
            browser.close()
    assert_no_server_errors(shots / "server.log")

"""Issue 12 in a real browser: retrying a structure job whose outline failed validation,
deleting a lesson and undoing it, and a double click on Export -> Prepare."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.browser import launch
from tests.e2e.app_server import ROOT, assert_no_server_errors, run_app

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 60_000


def _new_course(page, expect) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="New course").click()
    expect(page.get_by_role("heading", name="Parameters")).to_be_visible()
    page.get_by_label("Topic").fill("Data cleaning with pandas")
    page.get_by_role("spinbutton", name="Total duration, minutes").fill("60")
    page.get_by_role("spinbutton", name="Modules", exact=True).fill("2")
    page.get_by_role("spinbutton", name="Lessons per module").fill("2")
    page.get_by_role("button", name="Save parameters").click()
    expect(page.get_by_role("heading", name="Structure")).to_be_visible()


def test_retry_of_a_failed_outline_delete_undo_and_export_double_click(tmp_path: Path) -> None:
    from playwright import sync_api

    shots = ROOT / "test-output" / "actions"
    shots.mkdir(parents=True, exist_ok=True)
    log = shots / "server.log"
    db = tmp_path / "actions.db"
    # The outline's first answer and its remediation are not JSON: the job fails, a draft is kept.
    with (
        run_app(db, log, OFFLINE_FAULTS="malformed@1,malformed@2") as server,
        sync_api.sync_playwright() as pw,
    ):
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        expect = sync_api.expect
        expect.set_options(timeout=TIMEOUT_MS)
        main = page.get_by_test_id("stMain")
        try:
            page.goto(server)
            expect(page.get_by_role("heading", name="Courses")).to_be_visible()
            _new_course(page, expect)

            # The failure says what happened and what to do, and the draft is right there.
            expect(main.get_by_text("did not pass the checks; it is kept as a draft").first).to_be_visible()
            expect(main.get_by_text("kept as draft #").first).to_be_visible()
            expect(main.get_by_text("Working on")).to_have_count(0)
            expect(main.get_by_text("100%")).to_have_count(0)
            page.screenshot(path=str(shots / "01-outline-failed.png"), full_page=True)
            page.get_by_role("button", name="Retry").click()
            expect(page.get_by_text("Module to edit")).to_be_visible()
            page.screenshot(path=str(shots / "02-outline-retried.png"), full_page=True)

            # Delete a lesson: asked first, then undone.
            page.get_by_text("Reorder, lock or delete lessons").click()
            lessons_before = page.get_by_label("Lesson title").count()
            page.locator("[class*='st-key-lesson-'][class*='-delete'] button").first.click()
            expect(main.get_by_text("Delete the lesson").first).to_be_visible()
            page.screenshot(path=str(shots / "03-delete-confirm.png"), full_page=True)
            page.get_by_role("button", name="Delete", exact=True).click()
            expect(main.get_by_text("Deleted “").first).to_be_visible()
            expect(page.get_by_label("Lesson title")).to_have_count(lessons_before - 1)
            page.get_by_role("button", name="Undo").click()
            expect(page.get_by_label("Lesson title")).to_have_count(lessons_before)
            page.screenshot(path=str(shots / "04-undone.png"), full_page=True)

            # Export -> Prepare, double-clicked: one job.
            page.get_by_test_id("stSidebarNav").get_by_text("Export", exact=True).click()
            expect(page.get_by_role("heading", name="Export")).to_be_visible()
            page.get_by_text("Export anyway").click()  # no lesson is written yet
            prepare = page.get_by_role("button", name="Prepare").nth(1)  # JSON, after "All formats"
            expect(prepare).to_be_enabled()
            prepare.dblclick()
            expect(page.get_by_role("button", name="Download").first).to_be_visible()
            page.screenshot(path=str(shots / "05-export.png"), full_page=True)
        finally:
            page.screenshot(path=str(shots / "99-last.png"), full_page=True)
            browser.close()
    with sqlite3.connect(db) as conn:
        outline_jobs = conn.execute("select status, steps from jobs where kind = 'outline'").fetchall()
        exports = conn.execute("select count(*) from jobs where kind = 'export'").fetchone()[0]
    assert len(outline_jobs) == 1 and outline_jobs[0][0] == "succeeded"
    assert "written by an earlier attempt" not in outline_jobs[0][1]
    assert exports == 1, f"a double click made {exports} export jobs"
    assert_no_server_errors(log)

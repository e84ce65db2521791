"""The whole wizard in a real browser: Playwright drives Debian's chromium against
`streamlit run app.py` on the offline provider, saving a screenshot of each step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import launch
from tests.e2e.app_server import assert_no_server_errors, run_app

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "e2e"
TIMEOUT_MS = 60_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_path = SHOTS / "server.log"  # kept next to the screenshots for post-mortems
    with run_app(tmp_path / "e2e.db", log_path) as url:
        yield url
    text = log_path.read_text(errors="replace")
    if "Traceback" in text:  # shown with the test's output when it fails
        print("server log:\n" + text[text.index("Traceback") - 200 :][:8000])


def _assert_no_server_errors() -> None:
    assert_no_server_errors(SHOTS / "server.log")


def test_whole_wizard_in_chromium(server: str) -> None:
    from playwright import sync_api

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        expect = sync_api.expect
        expect.set_options(timeout=TIMEOUT_MS)

        def shot(name: str) -> None:
            page.wait_for_timeout(300)  # let the last delta paint; not used for synchronisation
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        def main_text(text: str) -> object:
            return page.get_by_test_id("stMain").get_by_text(text, exact=False).first

        def click_to_page(button: str, heading: str) -> None:
            """Click a button that moves to another page. On a loaded machine the editor's
            auto-rerun can land on the click's run and the switch is lost; a person clicks
            again, so does this (and says so in the output)."""
            for attempt in range(3):
                page.get_by_role("button", name=button).click()
                try:
                    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=20_000)
                    return
                except AssertionError:
                    print(f"'{button}' did not reach {heading} (attempt {attempt + 1}); clicking again")
            expect(page.get_by_role("heading", name=heading)).to_be_visible()

        try:
            page.goto(server)
            expect(page.get_by_role("heading", name="Courses")).to_be_visible()
            expect(main_text("Offline provider")).to_be_visible()
            shot("01-courses")

            page.get_by_role("button", name="New course").click()
            expect(page.get_by_role("heading", name="Parameters")).to_be_visible()
            page.get_by_label("Topic").fill("x")
            page.get_by_role("button", name="Save parameters").click()
            expect(main_text("at least 3 characters")).to_be_visible()
            shot("02-parameters-invalid")
            page.get_by_label("Topic").fill("Data cleaning with pandas")
            page.get_by_role("spinbutton", name="Total duration, minutes").fill("60")
            page.get_by_role("spinbutton", name="Modules", exact=True).fill("2")
            page.get_by_role("spinbutton", name="Lessons per module").fill("2")
            shot("03-parameters")
            page.get_by_role("button", name="Save parameters").click()

            expect(page.get_by_role("heading", name="Structure")).to_be_visible()
            expect(page.get_by_text("Module to edit")).to_be_visible()
            expect(page.get_by_test_id("stSidebar").get_by_text("Step: Structure")).to_be_visible()
            shot("04-structure")
            page.get_by_label("Lesson title").first.fill("Reading messy CSV files")
            page.get_by_role("button", name="Save module").click()
            expect(page.get_by_label("Lesson title").first).to_have_value("Reading messy CSV files")

            page.get_by_role("button", name="Approve and write lessons").click()
            expect(page.get_by_role("heading", name="Lessons")).to_be_visible()
            shot("05-lessons-job")
            expect(main_text("4 of 4 lessons written")).to_be_visible()
            ace = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
            expect(ace.locator(".ace_content")).to_be_visible()
            shot("06-lesson-editor")

            # Type into the real ace editor: auto_update sends the text, autosave stores it.
            ace.locator(".ace_content").click()
            page.keyboard.press("Control+End")
            page.keyboard.type("\n\nA paragraph typed in the browser.")
            expect(main_text("All changes saved")).to_be_visible()
            expect(main_text("A paragraph typed in the browser.")).to_be_visible()  # the preview
            shot("07-lesson-saved")

            page.get_by_role("tab", name="History").click()
            expect(page.locator(".cs-diff ins").first).to_be_visible()
            expect(page.locator(".cs-diff ins").first).to_contain_text("typed in the browser")
            shot("08-history-diff")

            page.get_by_role("tab", name="Regenerate").click()
            page.get_by_label("Instruction (optional)").fill("shorter")
            page.get_by_role("button", name="Regenerate").click()
            expect(main_text("A regenerated version is ready")).to_be_visible()
            shot("09-proposal")
            page.get_by_role("button", name="Accept").click()
            expect(main_text("A regenerated version is ready")).to_have_count(0)

            # Reload: the course stays current (it is in the URL) and nothing is lost.
            page.reload()
            expect(page.get_by_role("heading", name="Lessons")).to_be_visible()
            expect(main_text("4 of 4 lessons written")).to_be_visible()

            click_to_page("Make slides", "Slides")
            expect(main_text("4 of 4 decks ready")).to_be_visible()
            expect(
                page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first.locator(
                    ".ace_content"
                )
            ).to_be_visible()
            shot("10-slides")

            for name, heading in (("Export", "Export"), ("Jobs", "Jobs"), ("Costs", "Costs")):
                page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
                expect(page.get_by_role("heading", name=heading)).to_be_visible()
                expect(main_text("Offline provider")).to_be_visible()
                shot(f"11-{name.lower()}")

            page.get_by_test_id("stSidebar").get_by_text("Русский").click()
            expect(page.get_by_role("heading", name="Затраты")).to_be_visible()
            shot("12-russian")
        finally:
            shot("99-last")
            browser.close()
        _assert_no_server_errors()


def test_playground_runs_an_edited_prompt_against_production_in_chromium(server: str) -> None:
    from playwright import sync_api

    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            # A page URL as the first request after a server start (a bookmark, or a tab
            # left open across a restart) must still go through app.py.
            page.goto(f"{server}/playground")
            expect(page.get_by_role("heading", name="Prompt playground")).to_be_visible()
            expect(page.get_by_test_id("stSidebarNav").get_by_text("Courses")).to_be_visible()
            ace = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
            expect(ace.locator(".ace_content")).to_be_visible()
            ace.locator(".ace_content").click()
            page.keyboard.press("Control+End")
            page.keyboard.type("\nKeep every title under six words.")
            expect(page.get_by_text("Edited - not saved yet")).to_be_visible()
            page.get_by_role("button", name="Run both").click()
            expect(page.get_by_text("Diff of the answers")).to_be_visible()
            expect(page.get_by_text("Valid against").first).to_be_visible()
            page.wait_for_timeout(300)  # let the last delta paint; not used for synchronisation
            page.screenshot(path=str(SHOTS / "20-playground.png"), full_page=True)
        finally:
            browser.close()

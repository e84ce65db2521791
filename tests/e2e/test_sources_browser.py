"""issue 17 in a real browser, Russian first then English: upload a handbook on the
Sources step, read its extracted text, propose the structure from it, write the lessons,
and see each lesson's citations beside their source passages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import dispose_engines, migrate, session_scope
from core.schemas import CourseParams
from core.services.courses import create_course
from core.settings import reset_settings
from tests import source_files as sf
from tests.actors import ADMIN
from tests.browser import launch
from tests.e2e.app_server import ROOT, assert_no_server_errors, run_app
from tests.e2e.language_check import check_page

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-output" / "e2e"
TIMEOUT_MS = 90_000
# Course content (the handbook is English): the language check lets it through.
CONTENT = (
    *(h for h, _ in sf.SECTIONS_EN),
    *(sentence.strip() for _, body in sf.SECTIONS_EN for sentence in body.split(". ")),
    "handbook",
    "Staff",
    "From the source",  # the offline lesson text is in the course language, English here
)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    db_url = f"sqlite:///{tmp_path / 'sources.db'}"
    monkeypatch.setenv("DATABASE_URL", db_url)
    reset_settings()
    migrate(db_url)
    params = CourseParams(
        topic="Staff handbook", module_count=2, lessons_per_module=2, total_duration_minutes=60
    )
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
    dispose_engines()
    log_path = SHOTS / "sources-server.log"
    with run_app(db_url, log_path, FILES_DIR=str(tmp_path / "files")) as url:
        yield url, course_id
    assert_no_server_errors(log_path)


def test_upload_structure_lessons_with_citations(server: tuple[str, int], tmp_path: Path) -> None:
    from playwright import sync_api

    url, course_id = server
    handbook = tmp_path / "handbook.docx"
    handbook.write_bytes(sf.docx())
    hostile = tmp_path / "page.html"
    hostile.write_text(
        "<html><body><h1>Wiki</h1><script>alert(1)</script><p>Badges are worn at all times "
        "inside the office building.</p></body></html>"
    )
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.set_default_timeout(TIMEOUT_MS)

        def shot(name: str) -> None:
            page.wait_for_timeout(300)  # let the last delta paint; not used for synchronisation
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        def main_text(text: str) -> object:
            return page.get_by_test_id("stMain").get_by_text(text, exact=False).first

        try:
            # ---- Russian
            page.goto(f"{url}/sources?course={course_id}&lang=ru")
            expect(page.get_by_role("heading", name="Источники", level=1)).to_be_visible()
            expect(main_text("Источников пока нет")).to_be_visible()
            page.locator("input[type=file]").first.set_input_files(str(handbook))
            expect(main_text("handbook.docx")).to_be_visible()
            page.get_by_role("button", name="Добавить файлы").click()
            expect(main_text("Добавлено: handbook.docx")).to_be_visible()
            expect(main_text("фрагментов: 4")).to_be_visible()
            page.get_by_text("Извлечённый текст").click()
            expect(main_text("28 calendar days of paid annual leave")).to_be_visible()
            shot("40-sources-ru")
            check_page(page, "ru", "sources (ru)", content=CONTENT)

            page.get_by_role("button", name="Предложить структуру по источникам").click()
            expect(page.get_by_role("heading", name="Структура", level=1)).to_be_visible()
            expect(page.get_by_text("Редактировать модуль")).to_be_visible()
            # The structure comes from the handbook's headings.
            expect(page.get_by_label("Название урока").first).to_have_value("Annual leave")
            shot("41-structure-from-sources-ru")

            page.get_by_role("button", name="Утвердить и написать уроки").click()
            expect(page.get_by_role("heading", name="Уроки", level=1)).to_be_visible()
            expect(main_text("Написано уроков: 4 из 4")).to_be_visible()
            expect(main_text("Источники этого урока")).to_be_visible()
            expect(main_text("handbook.docx")).to_be_visible()
            expect(main_text("Использовано уроками:")).to_be_visible()
            shot("42-lesson-ru")
            main_text("Источники этого урока").scroll_into_view_if_needed()
            shot("42-lesson-citations-ru")
            check_page(page, "ru", "lessons (ru)", content=CONTENT)

            # ---- English
            page.get_by_test_id("stSidebar").get_by_text("English").click()
            expect(page.get_by_role("heading", name="Lessons", level=1)).to_be_visible()
            expect(main_text("Sources of this lesson")).to_be_visible()
            quote = page.get_by_test_id("stMain").get_by_text("«").first
            expect(quote).to_be_visible()
            main_text("Sources of this lesson").scroll_into_view_if_needed()
            shot("43-lesson-citations-en")
            check_page(page, "en", "lessons (en)", content=CONTENT)

            page.get_by_test_id("stSidebarNav").get_by_text("Sources", exact=True).click()
            expect(page.get_by_role("heading", name="Sources", level=1)).to_be_visible()
            page.locator("input[type=file]").first.set_input_files(str(hostile))
            expect(main_text("page.html")).to_be_visible()
            page.get_by_role("button", name="Add the files").click()
            expect(main_text("Added: page.html")).to_be_visible()
            expect(main_text("The HTML contains scripts; they were removed")).to_be_visible()
            shot("44-sources-en")
        finally:
            shot("49-sources-last")
            browser.close()

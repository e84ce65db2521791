"""The daily path in a real browser, in Russian and in English: the whole wizard from a
cold start by clicking what a person clicks (no URL shortcuts), switching the language on
the way, asserting on every page that the interface speaks the chosen language, then every
page at 1440 and 800 px (screenshots in test-output/daily-<lang>/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import launch
from tests.e2e.app_server import ROOT, assert_no_server_errors, run_app
from tests.e2e.language_check import check_page

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 60_000

# What a person reads and clicks, per language.
UI = {
    "ru": {
        "lang_button": "Русский",
        "other_button": "English",
        "courses": "Курсы",
        "parameters": "Параметры",
        "structure": "Структура",
        "lessons": "Уроки",
        "slides": "Слайды",
        "export": "Экспорт",
        "jobs": "Задачи",
        "costs": "Затраты",
        "playground": "Песочница промптов",
        "evaluations": "Оценки",
        "new_course": "Новый курс",
        "topic": "Тема",
        "audience": "Аудитория",
        "duration": "Общая длительность, минут",
        "modules": "Модулей",
        "lessons_per_module": "Уроков в модуле",
        "level": "Уровень",
        "language_field": "Язык курса",
        "level_pick": "Средний",
        "content_lang": "Русский",
        "save": "Сохранить параметры",
        "too_short": "введите не меньше 3 символов",
        "too_many": "Модулей: должно быть не больше 20",
        "module_to_edit": "Редактировать модуль",
        "lesson_title": "Название урока",
        "save_module": "Сохранить модуль",
        "approve": "Утвердить и написать уроки",
        "written": "Написано уроков: 4 из 4",
        "history": "История",
        "make_slides": "Сделать слайды",
        "decks": "Готово презентаций: 4 из 4",
        "prepare": "Подготовить",
        "download": "Скачать",
        "topic_text": "Очистка данных в pandas",
        "audience_text": "аналитики",
        "lesson_text": "Чтение грязных CSV-файлов",
    },
    "en": {
        "lang_button": "English",
        "other_button": "Русский",
        "courses": "Courses",
        "parameters": "Parameters",
        "structure": "Structure",
        "lessons": "Lessons",
        "slides": "Slides",
        "export": "Export",
        "jobs": "Jobs",
        "costs": "Costs",
        "playground": "Prompt playground",
        "evaluations": "Evaluations",
        "new_course": "New course",
        "topic": "Topic",
        "audience": "Audience",
        "duration": "Total duration, minutes",
        "modules": "Modules",
        "lessons_per_module": "Lessons per module",
        "level": "Level",
        "language_field": "Course language",
        "level_pick": "Intermediate",
        "content_lang": "English",
        "save": "Save parameters",
        "too_short": "enter at least 3 characters",
        "too_many": "Modules: must be at most 20",
        "module_to_edit": "Module to edit",
        "lesson_title": "Lesson title",
        "save_module": "Save module",
        "approve": "Approve and write lessons",
        "written": "4 of 4 lessons written",
        "history": "History",
        "make_slides": "Make slides",
        "decks": "4 of 4 decks ready",
        "prepare": "Prepare",
        "download": "Download",
        "topic_text": "Data cleaning with pandas",
        "audience_text": "analysts",
        "lesson_text": "Reading messy CSV files",
    },
}
PAGES = ("courses", "parameters", "structure", "lessons", "slides", "export", "jobs", "costs",
         "playground", "evaluations")  # fmt: skip


class Person:
    """One browser tab and the checks made on every page."""

    def __init__(self, page: Any, lang: str, shots: Path) -> None:
        from playwright import sync_api

        self.page, self.lang, self.shots = page, lang, shots
        self.ui = UI[lang]
        self.expect = sync_api.expect
        self.content: tuple[str, ...] = ()

    def main_text(self, text: str) -> Any:
        return self.page.get_by_test_id("stMain").get_by_text(text, exact=False).first

    def heading(self, key: str) -> None:
        self.expect(self.page.get_by_role("heading", name=UI[self.lang][key])).to_be_visible()

    def settle(self) -> None:
        """Wait until Streamlit says the script run is over (no "Running..." widget)."""
        self.expect(self.page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(400)  # let the last delta paint; not used for synchronisation

    def in_language(self, where: str) -> None:
        """The interface speaks the chosen language, and the URL still carries it."""
        self.settle()
        assert f"lang={self.lang}" in self.page.url, (where, self.page.url)
        check_page(self.page, self.lang, where, content=self.content)

    def shot(self, name: str) -> None:
        self.settle()
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def switch_language(self, to: str) -> None:
        self.page.get_by_test_id("stSidebar").get_by_text(UI[to]["lang_button"], exact=True).click()
        self.lang, self.ui = to, UI[to]
        self.expect(
            self.page.get_by_test_id("stSidebar").get_by_text(UI[to]["courses"], exact=True)
        ).to_be_visible()

    def click_to_page(self, button: str, page_key: str) -> None:
        """Click a button that moves to another page. On a loaded machine the editor's
        auto-rerun can land on the click's run and the switch is lost; a person clicks
        again, so does this (and says so in the output)."""
        for attempt in range(3):
            self.page.get_by_role("button", name=button).click()
            try:
                self.expect(self.page.get_by_role("heading", name=self.ui[page_key])).to_be_visible(
                    timeout=20_000
                )
                return
            except AssertionError:
                print(f"'{button}' did not reach {page_key} (attempt {attempt + 1}); clicking again")
        self.heading(page_key)

    def nav(self, page_key: str) -> None:
        self.page.get_by_test_id("stSidebarNav").get_by_text(self.ui[page_key], exact=True).click()
        self.heading(page_key)


def _selected(page: Any, label: str) -> str:
    """What a selectbox shows as chosen (its text, or its input's value and label)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    return str(
        box.evaluate(
            "e => e.innerText + ' ' + [...e.querySelectorAll('input, [aria-selected], [title]')]"
            ".map(i => (i.value || '') + ' ' + (i.getAttribute('aria-label') || '') + ' '"
            " + (i.getAttribute('title') || '')).join(' ')"
        )
    )


def daily_path(server: str, start_lang: str, shots: Path) -> None:
    """The whole wizard in `start_lang`, switching to the other language and back twice."""
    from playwright import sync_api

    other = "en" if start_lang == "ru" else "ru"
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        sync_api.expect.set_options(timeout=TIMEOUT_MS)
        me = Person(page, "en", shots)
        try:
            # Cold start: the app opens in English; a Russian speaker switches once.
            page.goto(server)
            me.heading("courses")
            if start_lang != "en":
                me.switch_language(start_lang)
            me.heading("courses")
            me.in_language("courses")
            me.shot("01-courses")

            me.click_to_page(me.ui["new_course"], "parameters")
            me.in_language("parameters (new)")
            # Course content is written in the interface language unless chosen otherwise.
            assert me.ui["content_lang"] in _selected(page, me.ui["language_field"])
            page.get_by_label(me.ui["topic"]).fill("x")
            page.get_by_role("spinbutton", name=me.ui["modules"], exact=True).fill(
                "30"
            )  # the schema allows 20
            page.get_by_role("button", name=me.ui["save"]).click()
            # The widget knows the schema's limit: the field says the server's phrase and the
            # click is held back (never a silent no-op, never the old value saved).
            me.expect(me.main_text(me.ui["too_many"])).to_be_visible()
            me.in_language("parameters (out of range)")
            page.get_by_role("spinbutton", name=me.ui["modules"], exact=True).fill("3")
            page.get_by_role("button", name=me.ui["save"]).click()
            me.expect(me.main_text(me.ui["too_short"])).to_be_visible()  # the server's check
            me.in_language("parameters (invalid)")
            me.shot("02-parameters-invalid")

            me.content = (UI[start_lang]["topic_text"], UI[start_lang]["lesson_text"])
            page.get_by_label(me.ui["topic"]).fill(me.ui["topic_text"])
            page.get_by_label(me.ui["audience"]).fill(me.ui["audience_text"])
            page.get_by_role("spinbutton", name=me.ui["duration"]).fill("60")
            page.get_by_role("spinbutton", name=me.ui["modules"], exact=True).fill("2")
            page.get_by_role("spinbutton", name=me.ui["lessons_per_module"]).fill("2")
            page.get_by_test_id("stSelectbox").filter(has_text=me.ui["level"]).first.click()
            page.get_by_role("option", name=me.ui["level_pick"]).click()
            page.get_by_role("button", name=me.ui["save"]).click()  # saved, but no structure yet
            me.heading("structure")
            me.in_language("structure (job)")
            me.nav("parameters")

            # Switch there and back: the page follows, the chosen values stay.
            me.switch_language(other)
            me.heading("parameters")
            me.in_language("parameters after a switch")
            assert UI[other]["level_pick"] in _selected(page, UI[other]["level"])
            me.switch_language(start_lang)
            me.heading("parameters")
            assert me.ui["level_pick"] in _selected(page, me.ui["level"])
            me.shot("03-parameters")
            me.nav("structure")

            me.expect(page.get_by_text(me.ui["module_to_edit"])).to_be_visible()
            me.in_language("structure")
            me.shot("04-structure")
            page.get_by_label(me.ui["lesson_title"]).first.fill(me.ui["lesson_text"])
            page.get_by_role("button", name=me.ui["save_module"]).click()
            me.expect(page.get_by_label(me.ui["lesson_title"]).first).to_have_value(me.ui["lesson_text"])

            me.click_to_page(me.ui["approve"], "lessons")
            me.expect(me.main_text(me.ui["written"])).to_be_visible()
            ace = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
            me.expect(ace.locator(".ace_content")).to_be_visible()
            me.in_language("lessons")
            me.shot("05-lessons")
            page.get_by_role("tab", name=me.ui["history"]).click()
            me.in_language("lesson history")

            me.click_to_page(me.ui["make_slides"], "slides")
            me.expect(me.main_text(me.ui["decks"])).to_be_visible()
            me.in_language("slides")
            me.shot("06-slides")

            me.nav("export")
            me.in_language("export")
            page.get_by_role("button", name=me.ui["prepare"]).first.click()
            me.expect(page.get_by_role("button", name=me.ui["download"]).first).to_be_visible()
            me.in_language("export prepared")

            # A reload keeps the language (it is in the URL) and the course.
            page.reload()
            me.heading("export")
            me.in_language("export after a reload")

            # Every page, as wide and as narrow as people use it.
            for width in (1440, 800):
                page.set_viewport_size({"width": width, "height": 1000})
                for name in PAGES:
                    if width == 800:
                        # The sidebar folds away at narrow widths; open it to navigate.
                        opener = page.get_by_test_id("stExpandSidebarButton")
                        if opener.count():
                            opener.click()
                    me.nav(name)
                    me.in_language(f"{name} at {width}px")
                    me.shot(f"page-{name}-{width}")
        finally:
            page.screenshot(path=str(shots / "99-last.png"), full_page=True)
            browser.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_daily_path_in_chromium(lang: str, tmp_path: Path) -> None:
    shots = ROOT / "test-output" / f"daily-{lang}"
    shots.mkdir(parents=True, exist_ok=True)
    log = shots / "server.log"
    with run_app(tmp_path / "daily.db", log) as server:
        daily_path(server, lang, shots)
    assert_no_server_errors(log)

"""Issue 12, reading and comparing, in a real browser from a cold start (Russian, then
English): the lesson preview follows the editor's cursor; a diff opens at its first change
and a button goes back there; an out-of-range number says the server's field error and
saves nothing; a deck and playground JSON that do not parse are explained in the
interface language, naming the line. Screenshots in test-output/reading-<lang>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.db import session_scope
from core.models import Course
from tests.browser import launch
from tests.e2e.app_server import ROOT, assert_no_server_errors, run_app
from tests.e2e.language_check import check_page

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 60_000

UI = {
    "ru": {
        "switch": "Русский",
        "course_title": "Очистка данных для аналитиков",
        "courses": "Курсы",
        "open": "Открыть",
        "lessons": "Уроки",
        "slides": "Слайды",
        "parameters": "Параметры",
        "playground": "Песочница промптов",
        "history": "История",
        "saved": "Все правки сохранены",
        "show_all": "Показать неизменённый текст",
        "jump": "К первому изменению",
        "modules": "Модулей",
        "topic": "Тема",
        "enter_hint": "Нажмите Enter, чтобы применить",
        "save": "Сохранить параметры",
        "too_many": "Модулей: должно быть не больше 20",
        "deck_line": "Строка 1: начните каждый слайд строкой «## Заголовок»",
        "not_saved": "Пока не сохранено",
        "variables": "Переменные (JSON)",
        "run": "Запустить",
        "bad_json": "строка 1, позиция 9: ожидается имя в двойных кавычках",
        "section": "Раздел",
        "para": "Абзац {i} раздела {s}: чтение файлов, типы столбцов и пропуски.",
        "added": "Новый абзац в самом конце урока.",
        "loose": "строка без заголовка",
    },
    "en": {
        "switch": "English",
        "course_title": "Data cleaning for analysts",
        "courses": "Courses",
        "open": "Open",
        "lessons": "Lessons",
        "slides": "Slides",
        "parameters": "Parameters",
        "playground": "Prompt playground",
        "history": "History",
        "saved": "All changes saved",
        "show_all": "Show unchanged text",
        "jump": "Jump to the first change",
        "modules": "Modules",
        "topic": "Topic",
        "enter_hint": "Press Enter to apply",
        "save": "Save parameters",
        "too_many": "Modules: must be at most 20",
        "deck_line": "Line 1: start each slide with a line “## Title”",
        "not_saved": "Not saved yet",
        "variables": "Variables (JSON)",
        "run": "Run",
        "bad_json": "line 1, column 9: a name in double quotes is expected",
        "section": "Section",
        "para": "Paragraph {i} of section {s}: reading files, column types and gaps.",
        "added": "A new paragraph at the very end of the lesson.",
        "loose": "a line without a title",
    },
}
SECTIONS = 8

# The preview box and the Ace editor of the open lesson, read (never driven) through the DOM.
PREVIEW_JS = """() => {
  const box = document.querySelector('[class*="st-key-cs-pv-"]');
  const heads = [...box.querySelectorAll('h2')].map(h => {
    const top = h.getBoundingClientRect().top - box.getBoundingClientRect().top;
    return { text: h.innerText, visible: top >= 0 && top < box.clientHeight };
  });
  return { top: box.scrollTop, room: box.scrollHeight - box.clientHeight, heads };
}"""
CURSOR_JS = """() => {
  const frame = document.querySelector('[class*="st-key-cs-ed-"] iframe');
  const ed = frame.contentDocument.querySelector('.ace_editor').env.editor;
  const row = ed.getCursorPosition().row;
  let section = null;
  for (let r = row; r >= 0; r--) { const l = ed.session.getLine(r); if (l.startsWith('## ')) { section = l.slice(3); break; } }
  return { row, section };
}"""
DIFF_JS = """() => {
  const box = [...document.querySelectorAll('.cs-diff')].find(b => b.offsetParent !== null);
  const first = box.querySelector('ins, del');
  const top = first.getBoundingClientRect().top - box.getBoundingClientRect().top;
  return { scrollTop: box.scrollTop, room: box.scrollHeight - box.clientHeight, visible: top >= 0 && top < box.clientHeight };
}"""


def lesson_body(lang: str) -> str:
    ui = UI[lang]
    parts = []
    for s in range(1, SECTIONS + 1):
        parts.append(f"## {ui['section']} {s}")
        parts += [ui["para"].format(i=i, s=s) for i in range(1, 5)]
    return "\n\n".join(parts)


def seed(lang: str) -> int:
    from tests.factories import make_course

    with session_scope() as session:
        return make_course(
            session,
            modules=2,
            lessons=2,
            slides=3,
            language=lang,
            title=UI[lang]["course_title"],
            body_md=lesson_body(lang),
        )


def module_count(course_id: int) -> int:
    with session_scope(readonly=True) as session:
        course = session.get(Course, course_id)
        assert course is not None
        return int(course.params["module_count"])


class Reader:
    def __init__(self, page: Any, lang: str, shots: Path) -> None:
        from playwright import sync_api

        self.page, self.lang, self.ui, self.shots = page, lang, UI[lang], shots
        self.expect = sync_api.expect
        self.main = page.get_by_test_id("stMain")

    def settle(self) -> None:
        self.expect(self.page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(300)  # let the last delta paint; not used for synchronisation

    def nav(self, name: str) -> None:
        """Click a page in the sidebar. A click that lands on a run still in progress (the
        editor's tick) can be lost; a person clicks again, so does this."""
        for _ in range(3):
            self.settle()
            self.page.get_by_test_id("stSidebarNav").get_by_text(self.ui[name], exact=True).click()
            try:
                self.expect(self.page.get_by_role("heading", name=self.ui[name])).to_be_visible(
                    timeout=15_000
                )
                return
            except AssertionError:
                print(f"{name}: the click was lost; clicking again")
        self.expect(self.page.get_by_role("heading", name=self.ui[name])).to_be_visible()

    def shot(self, name: str, where: str, content: tuple[str, ...] = ()) -> None:
        self.settle()
        check_page(self.page, self.lang, where, content=content)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def wait_preview(self, check: str, timeout: float | None = None) -> dict[str, Any]:
        """The preview once `check` (a JS condition on {top, room}) holds, within a deadline."""
        self.page.wait_for_function(
            "() => { const b = document.querySelector('[class*=\"st-key-cs-pv-\"]');"
            f" const top = b.scrollTop, room = b.scrollHeight - b.clientHeight; return {check}; }}",
            timeout=timeout,
        )
        return dict(self.page.evaluate(PREVIEW_JS))

    def keys_then_preview(self, ace: Any, keys: str, check: str) -> dict[str, Any]:
        """Click into the editor, press `keys`, and wait for the preview to follow. A click
        that lands while the editor re-draws (its autosave tick) leaves no focus, so the
        keys go nowhere; a person clicks again, so does this. The preview must still
        follow the cursor each time the keys arrive."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for _ in range(2):
            ace.locator(".ace_content").click()
            self.page.keyboard.press(keys)
            try:
                return self.wait_preview(check, timeout=15_000)
            except PlaywrightTimeout:
                print(f"{keys}: the keys did not reach the editor; clicking again")
        ace.locator(".ace_content").click()
        self.page.keyboard.press(keys)
        return self.wait_preview(check)


def reading(server: str, lang: str, course_id: int, shots: Path) -> None:
    from playwright import sync_api

    content = (
        UI[lang]["course_title"],
        UI[lang]["section"],
        UI[lang]["para"][:12],
        UI[lang]["added"],
        UI[lang]["loose"],
    )
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        sync_api.expect.set_options(timeout=TIMEOUT_MS)
        me = Reader(page, lang, shots)
        expect = me.expect
        try:
            page.goto(server)
            expect(page.get_by_role("heading", name="Courses")).to_be_visible()
            if lang != "en":
                page.get_by_test_id("stSidebar").get_by_text(me.ui["switch"], exact=True).click()
            expect(page.get_by_role("heading", name=me.ui["courses"])).to_be_visible()
            page.get_by_role("button", name=me.ui["open"]).first.click()
            expect(page.get_by_test_id("stSidebar").get_by_text(me.ui["course_title"])).to_be_visible()
            me.nav("lessons")

            # The preview follows the cursor: the end of the text, the top, and a middle section.
            ace = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
            expect(ace.locator(".ace_content")).to_be_visible()
            page.wait_for_function("() => document.querySelector('[class*=\"st-key-cs-pv-\"] h2')")
            end = me.keys_then_preview(ace, "Control+End", "room > 0 && top >= room - 2")
            assert end["heads"][-1]["visible"], end
            me.keys_then_preview(ace, "Control+Home", "top === 0")
            for _ in range(35):  # down to section 4 of 8
                page.keyboard.press("ArrowDown")
            # The cursor's section is in view in the preview, which is neither at the top nor the end.
            try:
                page.wait_for_function(
                    f"() => {{ const c = ({CURSOR_JS})(), p = ({PREVIEW_JS})();"
                    " return c.row > 0 && p.top > 0 && p.top < p.room - 2"
                    " && p.heads.some(h => h.visible && h.text === c.section); }",
                    timeout=20_000,
                )
            except sync_api.TimeoutError as exc:
                raise AssertionError((page.evaluate(CURSOR_JS), page.evaluate(PREVIEW_JS))) from exc

            # Scrolling the page along the (grown) editor moves the preview too, with no cursor move.
            page.keyboard.press("Control+Home")
            me.wait_preview("top === 0")
            page.get_by_test_id("stMain").hover()
            page.mouse.wheel(0, 900)
            me.wait_preview("top > 0")
            assert page.evaluate(CURSOR_JS)["row"] == 0

            # Typing at the end keeps the preview at the end; the edit is autosaved.
            page.keyboard.press("Control+End")
            page.keyboard.type("\n\n" + me.ui["added"])
            expect(me.main.get_by_text(me.ui["saved"]).first).to_be_visible()
            me.wait_preview("top >= room - 2")
            me.shot("01-editor-follows", "lesson editor", content)

            # The diff of that edit: it opens at its first change, and the button goes back there.
            page.get_by_role("tab", name=me.ui["history"]).click()
            page.get_by_text(me.ui["show_all"]).click()  # the whole text: the change is far down
            page.wait_for_function(
                "() => [...document.querySelectorAll('.cs-diff')].some(b => b.offsetParent !== null"
                " && b.scrollHeight > b.clientHeight)"
            )
            page.wait_for_function(f"() => ({DIFF_JS})().visible")
            opened = page.evaluate(DIFF_JS)
            assert opened["visible"] and opened["scrollTop"] > 0, opened
            box = page.locator(".cs-diff").first
            box.hover()
            page.mouse.wheel(0, -20_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.cs-diff')].find(b => b.offsetParent !== null).scrollTop === 0"
            )
            assert not page.evaluate(DIFF_JS)["visible"]
            page.get_by_role("button", name=me.ui["jump"]).click()
            jumped = page.evaluate(DIFF_JS)
            assert jumped["visible"] and jumped["scrollTop"] > 0, jumped
            me.shot("02-diff-first-change", "lesson history", content)

            # A deck that does not parse says which line and what to write, in this language.
            me.nav("slides")
            expect(ace.locator(".ace_content")).to_be_visible()
            ace.locator(".ace_content").click()
            page.keyboard.press("Control+Home")
            page.keyboard.type(me.ui["loose"] + "\n")
            expect(me.main.get_by_text(me.ui["deck_line"]).first).to_be_visible()
            expect(me.main.get_by_text(me.ui["not_saved"]).first).to_be_visible()
            me.shot("03-deck-parse-error", "slides with a parse error", content)
            page.keyboard.press("Control+z")

            # An out-of-range number: the server's phrase next to the field, nothing saved.
            me.nav("parameters")
            page.get_by_role("spinbutton", name=me.ui["modules"], exact=True).fill("30")
            page.get_by_role("button", name=me.ui["save"]).click()
            expect(me.main.get_by_text(me.ui["too_many"]).first).to_be_visible()
            expect(page.get_by_role("heading", name=me.ui["parameters"])).to_be_visible()
            me.shot("04-parameters-out-of-range", "parameters, out of range")
            assert module_count(course_id) == 2  # the click saved nothing, not even the old value
            page.get_by_role("spinbutton", name=me.ui["modules"], exact=True).fill("2")
            expect(me.main.get_by_text(me.ui["too_many"])).to_have_count(0)
            # Streamlit's typing hint under a field being edited is in this language too.
            page.get_by_label(me.ui["topic"]).press_sequentially(" 2")
            expect(me.main.get_by_text(me.ui["enter_hint"])).to_be_visible()
            check_page(page, lang, "parameters, typing", content=content)
            page.get_by_label(me.ui["topic"]).press("Enter")

            # Playground variables that are not JSON: the line, the column and why.
            me.nav("playground")
            page.get_by_label(me.ui["variables"]).fill('{"a": 1,}')
            page.get_by_role("button", name=me.ui["run"], exact=True).click()
            expect(me.main.get_by_text(me.ui["bad_json"]).first).to_be_visible()
            me.shot("05-playground-json", "playground, bad JSON")
        finally:
            page.screenshot(path=str(shots / "99-last.png"), full_page=True)
            browser.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_reading_and_comparing_in_chromium(lang: str, db: str, tmp_path: Path) -> None:
    shots = ROOT / "test-output" / f"reading-{lang}"
    shots.mkdir(parents=True, exist_ok=True)
    log = shots / "server.log"
    course_id = seed(lang)
    with run_app(db, log) as server:
        reading(server, lang, course_id, shots)
    assert_no_server_errors(log)

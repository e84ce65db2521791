"""WCAG 2.1 AA of the HTML site and the SCORM package, in chromium with axe-core.

The course has a table, code, images, a quiz and Russian passages in an English course
(and the reverse). Every page of the site and of the unzipped SCORM package must have
zero axe violations at wcag2a/wcag2aa/wcag21a/wcag21aa (plus axe's best practices for
headings and landmarks), and the structure axe does not check: one h1, no skipped
heading level, the four landmarks, lang on foreign passages, alt on every image.
The quiz is walked with the keyboard only; screenshots at 400% zoom and in forced-colours
mode go to test-output/ for people to look at.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from core.db import session_scope
from core.exporters import export_course
from tests.a11y.axe import EXPORT_TAGS, describe, run_axe
from tests.a11y.course import make_a11y_course
from tests.browser import launch
from tests.export_checks import OUTPUT, unzip

pytestmark = pytest.mark.e2e

STRUCTURE = r"""() => {
  const levels = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
  const skips = [];
  for (let i = 1; i < levels.length; i++) if (levels[i] > levels[i - 1] + 1) skips.push(levels.slice(i - 1, i + 1));
  return {
    h1: levels.filter(l => l === 1).length,
    first: levels[0] || 0,
    skips,
    lang: document.documentElement.lang,
    banner: document.querySelectorAll('body > header').length,
    main: document.querySelectorAll('main').length,
    contentinfo: document.querySelectorAll('body > footer').length,
    navs: [...document.querySelectorAll('nav')].map(n => n.getAttribute('aria-label')),
    imgsWithoutAlt: [...document.querySelectorAll('img')].filter(i => !i.getAttribute('alt')).length,
    foreign: [...document.querySelectorAll('main [lang]')].map(e => e.lang + ':' + e.textContent.trim().slice(0, 30)),
  };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        instance = launch(pw)
        yield instance
        instance.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _exported(db: str, fmt: str, folder: Path, language: str = "en") -> Path:
    with session_scope(db) as session:
        course_id = make_a11y_course(session, language=language)
    with session_scope(db) as session:
        data, _, _ = export_course(session, course_id, fmt, "full")
    for name, content in unzip(data).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def _check_page(page: Page, name: str, language: str) -> dict[str, Any]:
    violations = run_axe(page, tags=EXPORT_TAGS)
    assert violations == [], f"{name}:\n{describe(violations)}"
    s = page.evaluate(STRUCTURE)
    assert s["h1"] == 1 and s["first"] == 1 and s["skips"] == [], f"{name}: headings {s}"
    assert (s["banner"], s["main"], s["contentinfo"]) == (1, 1, 1), f"{name}: landmarks {s}"
    assert len(s["navs"]) == len(set(s["navs"])) and all(s["navs"]), f"{name}: navs {s['navs']}"
    assert s["lang"] == language and s["imgsWithoutAlt"] == 0, name
    return s


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_page_of_the_html_site_passes_axe(
    db: str, browser: Browser, tmp_path: Path, language: str
) -> None:
    site = _exported(db, "html", tmp_path / "site", language)
    pages = sorted(site.glob("*.html"))
    assert len(pages) == 7  # index, 2 modules, 4 lessons
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # the pages' CSP applies
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    found: dict[str, dict[str, Any]] = {}
    for path in pages:
        page.goto(path.as_uri())
        found[path.name] = _check_page(page, path.name, language)
    # the first lesson's title and a paragraph are in the other language, and say so
    other = "ru" if language == "en" else "en"
    foreign = found["lesson-01-01.html"]["foreign"]
    assert any(f.startswith(f"{other}:") for f in foreign), foreign
    assert len([f for f in foreign if f.startswith(f"{other}:")]) >= 2, foreign
    # quiz.js runs under the page's CSP: the check buttons are shown
    page.goto((site / "lesson-01-01.html").as_uri())
    assert page.locator("button.quiz-check").first.is_visible()
    context.close()
    assert errors == []


def test_every_page_of_the_scorm_package_passes_axe(
    db: str, browser: Browser, http_root: tuple[Path, str]
) -> None:
    root, base = http_root
    _exported(db, "scorm", root / "sco")
    course_pages = sorted((root / "sco" / "course").glob("*.html"))
    assert len(course_pages) == 7
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    for path in course_pages:
        page.goto(f"{base}/sco/course/{path.name}")
        _check_page(page, f"course/{path.name}", "en")
        if path.name.startswith("lesson"):  # quiz.js runs under the SCORM pages' CSP too
            assert page.locator("button.quiz-check").first.is_visible(), path.name
    # the launch page with its frame: axe descends into the (same-origin) course frame
    page.goto(f"{base}/sco/index.html")
    page.frame_locator("#content").locator("h1").wait_for()
    violations = run_axe(page, tags=EXPORT_TAGS)
    assert violations == [], describe(violations)
    assert page.locator("iframe[title]").count() == 1
    context.close()


def test_the_quiz_works_with_the_keyboard_alone(db: str, browser: Browser, tmp_path: Path) -> None:
    site = _exported(db, "html", tmp_path / "site")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto((site / "lesson-01-02.html").as_uri())
    first = page.locator(".question").first
    feedback = first.locator(".feedback")
    assert feedback.get_attribute("role") == "status" and feedback.get_attribute("aria-live") == "polite"

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    # Check without choosing: told to choose first
    tab_to("#q1 button.quiz-check")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#q1 .feedback').textContent !== ''")
    assert feedback.text_content() == "Choose an answer first."

    # Tab back into the group (Shift+Tab), pick the second option with the arrow keys: wrong
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "q1-o1"
    page.keyboard.press("Space")
    assert page.is_checked("#q1-o1")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("#q1-o2")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "quiz-check"
    page.keyboard.press("Space")
    page.wait_for_function("() => /Not quite/.test(document.querySelector('#q1 .feedback').textContent)")
    assert feedback.text_content() == "Not quite: the right answer is A."
    assert first.locator("details.answer").get_attribute("open") is not None

    # focus is visible on the button: a real outline, not the browser default of none
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"

    # back to the right answer: announced as correct
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowUp")
    assert page.is_checked("#q1-o1")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#q1 .feedback').textContent === 'Correct.'")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    first.screenshot(path=str(OUTPUT / "a11y-quiz-keyboard.png"))
    context.close()


def test_reflow_at_400_percent_and_forced_colours(db: str, browser: Browser, tmp_path: Path) -> None:
    site = _exported(db, "html", tmp_path / "site")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    # 400% zoom of a 1280 px window: 320 CSS px wide, drawn at 4 device pixels per px.
    context = browser.new_context(viewport={"width": 320, "height": 256}, device_scale_factor=4)
    page = context.new_page()
    for name in ("index.html", "module-01.html", "lesson-01-01.html"):
        page.goto((site / name).as_uri())
        # no page-level sideways scrolling (tables and code scroll inside their own box, which 1.4.10 allows)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{name} is {width} px wide at 400%"
    page.screenshot(path=str(OUTPUT / "a11y-lesson-400pct.png"), full_page=False)
    page.locator("section.quiz").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "a11y-quiz-400pct.png"), full_page=False)
    context.close()

    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.emulate_media(forced_colors="active")
    page.goto((site / "lesson-01-01.html").as_uri())
    assert page.evaluate("() => matchMedia('(forced-colors: active)').matches")
    border = page.eval_on_selector(".box", "el => getComputedStyle(el).borderTopStyle")
    assert border == "solid"  # the boxes keep an outline when backgrounds are dropped
    page.screenshot(path=str(OUTPUT / "a11y-lesson-forced-colors.png"), full_page=False)
    page.locator("section.quiz").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "a11y-quiz-forced-colors.png"), full_page=False)
    page.keyboard.press("Tab")  # the skip link: its focus ring in the system colours
    page.screenshot(path=str(OUTPUT / "a11y-focus-forced-colors.png"), full_page=False)
    context.close()

"""The studio itself under axe-core: every page, in chromium, against `streamlit run app.py`.

Violations from Streamlit's own widgets and third-party components are listed, with the
reason, in tests/a11y/known_streamlit_violations.json; anything else (our pages and
components: editor, history and diff, tables, job panels, the accessibility report) fails.
The plain text editor is switched on and used with the keyboard alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlmodel import select

from core.db import session_scope
from core.jobs import wait_for
from core.models import JobStatus, Lesson
from core.services.exports import start_export
from core.services.revisions import lesson_content, save_edit
from core.settings import reset_settings
from tests.a11y.axe import describe, run_axe
from tests.a11y.course import make_a11y_course
from tests.a11y.studio import ROOT, studio
from tests.actors import ADMIN, person
from tests.browser import launch

pytestmark = pytest.mark.e2e

KNOWN = json.loads((ROOT / "tests" / "a11y" / "known_streamlit_violations.json").read_text())["known"]
PAGES = (
    "courses",
    "parameters",
    "sources",  # issue-17
    "structure",
    "lessons",
    "slides",
    "export",
    "jobs",
    "costs",
    "playground",
    "evaluations",
)
SHOTS = ROOT / "test-output" / "a11y-studio"
TIMEOUT_MS = 60_000


@pytest.fixture
def app(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))  # the app inherits it
    reset_settings()
    with session_scope() as session:
        course_id = make_a11y_course(session, missing_alt=True)
    # a finished export job with warnings, so the Jobs page and the export row show job panels
    job = wait_for(
        int(start_export(course_id=course_id, fmt="html", profile="minimal", actor=ADMIN).id or 0), timeout=60
    )
    assert job.status == JobStatus.succeeded and job.result["a11y_warnings"]
    with session_scope() as session:  # a second revision, so History shows a diff
        lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.id)).first()
        assert lesson is not None
        saved = save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content={**lesson_content(lesson), "body_md": lesson.body_md + "\n\nAn added closing paragraph."},
            expected_version=lesson.version,
            actor=person("ann"),
        )
        assert saved.saved
    log = SHOTS / "server.log"
    with studio(db, log) as url:
        yield url, course_id
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[text.index("Traceback") - 200 :][:6000]


def _settled(page: Page) -> None:
    """Wait until the script run is over (Streamlit shows a status widget while it runs)."""
    page.get_by_test_id("stMain").locator("h1").first.wait_for()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')"
        " || !document.querySelector('[data-testid=stStatusWidget]').textContent.includes('Running')"
    )
    page.wait_for_timeout(500)  # let the last delta paint; not used for synchronisation


def _is_known(page: Page, rule: str, node: dict[str, Any]) -> str | None:
    """The reason a violation is Streamlit's, or None when it is ours."""
    for entry in KNOWN:
        if entry["rule"] != rule:
            continue
        outer = node["path"][0]  # a node inside an iframe: the iframe's selector comes first
        inside = page.evaluate(
            "([sel, container]) => { const el = document.querySelector(sel);"
            " return !!(el && (el.matches(container) || el.closest(container))); }",
            [outer, entry["inside"]],
        )
        if inside:
            return str(entry["reason"])
    return None


def test_every_studio_page_has_no_axe_violations_of_ours(app: tuple[str, int]) -> None:
    url, course_id = app
    SHOTS.mkdir(parents=True, exist_ok=True)
    ours: list[str] = []
    seen_known: set[str] = set()
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        for name in PAGES:
            page.goto(f"{url}/{name}?course={course_id}&lang=en")
            _settled(page)
            if name in ("lessons", "slides"):
                ace = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first
                ace.locator(".ace_content").wait_for()
            views = [name]
            if name == "lessons":
                views.append("lessons-history")  # the History tab: revisions table and diff
            if name == "jobs":
                views = ["jobs-open"]  # the job panel: status, progress, steps with the warnings
            for view in views:
                if view == "jobs-open":
                    # opened with the keyboard: Enter on the job, then on its steps
                    page.get_by_test_id("stMain").locator("summary").filter(has_text="#1 ·").press("Enter")
                    page.get_by_test_id("stMain").locator("summary").filter(has_text="Steps").press("Enter")
                    # the steps grid is a canvas; its accessible table holds the warnings
                    page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first.wait_for()
                    page.get_by_text("accessibility warning(s)").first.wait_for(state="attached")
                if view == "lessons-history":
                    page.get_by_role("tab", name="History").click()
                    page.locator(".cs-diff ins").first.wait_for()
                    # added and removed text differ by more than colour (WCAG 1.4.1)
                    deco = page.eval_on_selector(
                        ".cs-diff ins", "el => getComputedStyle(el).textDecorationLine"
                    )
                    marker = page.eval_on_selector(
                        ".cs-diff ins", "el => getComputedStyle(el, '::before').content"
                    )
                    assert deco == "underline" and marker == '" [+] "', (deco, marker)
                for violation in run_axe(page):
                    mine = [n for n in violation["nodes"] if not _is_known(page, violation["id"], n)]
                    if len(mine) < len(violation["nodes"]):
                        seen_known.add(violation["id"])
                    if mine:
                        ours.append(f"[{view}] " + describe([{**violation, "nodes": mine}]))
                page.screenshot(path=str(SHOTS / f"{view}.png"), full_page=False)
            if name == "export":  # the report, for people to look at
                page.get_by_role("heading", name="Accessibility").scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / "export-report.png"), full_page=False)
        browser.close()
    assert ours == [], "\n".join(ours)
    # the known list stays true: every entry still happens somewhere
    assert seen_known == {entry["rule"] for entry in KNOWN}, seen_known


def test_page_language_follows_the_interface_language(app: tuple[str, int]) -> None:
    url, course_id = app
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/export?course={course_id}&lang=ru")
        _settled(page)
        page.wait_for_function("() => document.documentElement.lang === 'ru'")
        violations = run_axe(page)  # the Russian interface, and the component frame, pass too
        mine = [v for v in violations if any(not _is_known(page, v["id"], n) for n in v["nodes"])]
        assert mine == [], describe(mine)
        page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        browser.close()


def test_plain_editor_is_reachable_with_the_keyboard(app: tuple[str, int]) -> None:
    url, course_id = app
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/lessons?course={course_id}&lang=en")
        _settled(page)
        page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']").first.locator(
            ".ace_content"
        ).wait_for()

        # Tab from the top of the page to the sidebar's "Plain text editor" switch
        page.locator("body").focus()
        for _ in range(60):
            page.keyboard.press("Tab")
            label = page.evaluate(
                "() => { const el = document.activeElement; const l = el && el.closest('label');"
                " return (l ? l.innerText : (el.getAttribute('aria-label') || '')).trim(); }"
            )
            if label == "Plain text editor":
                break
        else:
            raise AssertionError("Tab never reached the plain text editor switch")
        page.keyboard.press("Space")
        editor = page.get_by_test_id("stMain").get_by_role("textbox", name="Text", exact=True)
        editor.wait_for()
        # The code editor is gone once the rerun ends (Streamlit keeps stale elements until then).
        expect(page.locator("iframe[title='streamlit_ace.streamlit_ace']")).to_have_count(0)

        # keep tabbing: the labelled text box takes focus and typing goes into it
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.tagName") == "TEXTAREA":
                break
        else:
            raise AssertionError("Tab never reached the plain text box")
        name = page.evaluate(
            "() => { const el = document.activeElement; return el.getAttribute('aria-label') ||"
            " (el.labels && el.labels[0] ? el.labels[0].innerText : ''); }"
        )
        assert name.strip(), "the plain text box has no accessible name"
        violations = run_axe(page)
        assert violations == [] or all(
            _is_known(page, v["id"], n) for v in violations for n in v["nodes"] if v["id"] != "label"
        ), describe(violations)
        assert not [v for v in violations if v["id"] == "label"], describe(violations)
        page.screenshot(path=str(SHOTS / "plain-editor-keyboard.png"), full_page=False)
        browser.close()


def test_known_list_names_a_reason_for_every_entry() -> None:
    assert KNOWN and all(e["rule"] and e["inside"] and len(e["reason"]) > 40 for e in KNOWN)
    # one entry per rule and container, so a match always names the one reason that applies
    assert len({(e["rule"], e["inside"]) for e in KNOWN}) == len(KNOWN)

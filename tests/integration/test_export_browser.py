"""Exports in a real browser (Debian chromium via Playwright).

- XSS: every page of the HTML and SCORM exports of a course stuffed with the payload
  corpus loads with no dialog, no payload flag set and no event-handler attribute or
  script URL in the live DOM. CSP is bypassed on purpose so the sanitizer alone is tested.
- SCORM: the SCO, unzipped and served over local HTTP, runs inside a test page that
  provides a stub SCORM 1.2 API; walking to the last lesson sets lesson_status=completed.
- Screenshots of the HTML site and the SCO go to test-output/ for people to look at.
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
from tests.browser import launch
from tests.export_checks import OUTPUT, make_xss_course, unzip
from tests.factories import make_course

pytestmark = pytest.mark.e2e

LIVE_DOM_AUDIT = r"""() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) found.push(el.tagName + ' ' + attr.name);
    }
  }
  for (const a of document.querySelectorAll('a[href], area[href]')) {
    if (!['http:', 'https:', 'mailto:', 'file:'].includes(a.protocol)) found.push('link ' + a.href);
  }
  for (const el of document.querySelectorAll('script, iframe, object, embed, svg, form, base')) {
    const ours = el.tagName === 'SCRIPT' && /\/(progress|quiz)\.js$/.test(el.src) && !el.textContent.trim();
    if (!ours) found.push('element ' + el.tagName);
  }
  return {found, flag: window.__xss === 1};
}"""
# Give load-time handlers (onerror, autofocus, animations) a chance to fire first.
SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50))))"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        instance = launch(pw)
        yield instance
        instance.close()


def _export(db: str, course_id: int, fmt: str, profile: str = "full") -> dict[str, bytes]:
    with session_scope(db) as session:
        data, _, _ = export_course(session, course_id, fmt, profile)
    return unzip(data)


def _write(files: dict[str, bytes], folder: Path) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


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


def _load_and_audit(page: Page, url: str, dialogs: list[str]) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    page.evaluate(SETTLE)
    result = page.evaluate(LIVE_DOM_AUDIT)
    result["dialogs"] = list(dialogs)
    return result


def test_harness_detects_a_payload_that_runs(browser: Browser, tmp_path: Path) -> None:
    """Positive control: the same checks do fire on an unsanitized page."""
    page_file = tmp_path / "raw.html"
    page_file.write_text(
        "<html><body><img src=x onerror=alert(1)><script>window.__xss=1</script></body></html>"
    )
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    result = _load_and_audit(page, page_file.as_uri(), dialogs)
    context.close()
    assert result["flag"] and dialogs == ["1"] and result["found"]


@pytest.mark.parametrize("fmt", ["html", "scorm"])
def test_xss_corpus_runs_no_script_in_the_browser(
    db: str, browser: Browser, tmp_path: Path, fmt: str
) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2, slides=2)
        make_xss_course(session, course_id)
    site = _write(_export(db, course_id, fmt), tmp_path / fmt)
    # SCORM: the course pages carry the model text; the shell is checked statically.
    pages = sorted((site if fmt == "html" else site / "course").glob("*.html"))
    assert len(pages) >= 7

    context = browser.new_context(bypass_csp=True)  # test the sanitizer, not the CSP
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "xss" in m.text.lower() else None)
    for path in pages:
        result = _load_and_audit(page, path.as_uri(), dialogs)
        assert result == {"found": [], "flag": False, "dialogs": []}, path.name
    if fmt == "html":
        page.set_viewport_size({"width": 1200, "height": 900})
        page.goto((site / "lesson-01-01.html").as_uri())
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "html-xss-lesson.png"), full_page=False)
    context.close()
    assert errors == []


def test_html_site_renders_styled_and_readable(db: str, browser: Browser, tmp_path: Path) -> None:
    with session_scope(db) as session:
        course_id = make_course(
            session, modules=2, lessons=2, language="ru", title="Очистка данных для аналитиков"
        )
    site = _write(_export(db, course_id, "html"), tmp_path / "site")
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # CSP enforced here
    page = context.new_page()
    page.goto((site / "lesson-01-01.html").as_uri())
    # The stylesheet loads under the page's own CSP: the header bar is the accent colour.
    header_bg = page.eval_on_selector("header.site", "el => getComputedStyle(el).backgroundColor")
    assert header_bg == "rgb(15, 76, 129)"
    assert page.eval_on_selector("main", "el => el.getBoundingClientRect().width") <= 46 * 17 + 1
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "html-lesson.png"), full_page=True)
    page.click("a[rel=next]")
    page.wait_for_url("**/lesson-01-02.html")
    page.goto((site / "index.html").as_uri())
    page.screenshot(path=str(OUTPUT / "html-index.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.eval_on_selector("header.site", "el => getComputedStyle(el).display") == "none"
    context.close()


STUB_LMS = """<!doctype html><html><head><meta charset="utf-8"><title>Stub LMS</title>
<script>
window.calls = []; window.cmi = {};
window.API = {
  LMSInitialize: function (a) { calls.push(['LMSInitialize']); return 'true'; },
  LMSGetValue: function (k) { return cmi[k] || ''; },
  LMSSetValue: function (k, v) { calls.push(['LMSSetValue', k, v]); cmi[k] = String(v); return 'true'; },
  LMSCommit: function (a) { calls.push(['LMSCommit']); return 'true'; },
  LMSFinish: function (a) { calls.push(['LMSFinish']); return 'true'; },
  LMSGetLastError: function () { return '0'; },
  LMSGetErrorString: function () { return ''; },
  LMSGetDiagnostic: function () { return ''; }
};
</script></head><body>
<iframe id="sco" src="sco/index.html" style="width:100%;height:860px;border:0"></iframe>
</body></html>"""


def test_scorm_sco_reports_completion_at_the_last_lesson(
    db: str, browser: Browser, http_root: tuple[Path, str]
) -> None:
    root, base = http_root
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2)
    files = _export(db, course_id, "scorm", "minimal")
    _write(files, root / "sco")
    (root / "lms.html").write_text(STUB_LMS, encoding="utf-8")

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base}/lms.html")
    page.wait_for_function("() => window.cmi['cmi.core.lesson_status'] === 'incomplete'")
    content = page.frame_locator("#sco").frame_locator("#content")
    content.locator("h1").wait_for()

    # index -> module 1 -> lessons... until the page marked last; not completed before it.
    pages_walked = 0
    while content.locator("body[data-last='true']").count() == 0:
        assert page.evaluate("() => window.cmi['cmi.core.lesson_status']") == "incomplete"
        current = content.locator("body").get_attribute("data-page")
        content.locator("a[rel=next]").click()
        page.wait_for_function(
            "(prev) => window.cmi['cmi.core.lesson_location'] && window.cmi['cmi.core.lesson_location'] !== prev",
            arg=current,
        )
        pages_walked += 1
        assert pages_walked < 20
    page.wait_for_function("() => window.cmi['cmi.core.lesson_status'] === 'completed'")
    assert page.evaluate("() => window.cmi['cmi.core.lesson_location']") == "lesson-02-02.html"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "scorm-last-lesson.png"))

    # Unloading the SCO commits and finishes the session exactly once.
    page.evaluate("() => document.getElementById('sco').remove()")
    page.wait_for_function("() => window.calls.some(c => c[0] === 'LMSFinish')")
    calls = page.evaluate("() => window.calls.map(c => c[0])")
    assert calls.count("LMSInitialize") == 1 and calls.count("LMSFinish") == 1
    assert all(url.startswith(base) for url in requests), "the SCO fetched something remote"
    context.close()

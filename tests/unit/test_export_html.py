"""HTML site and the shared safe renderer: structure, navigation, and the XSS corpus."""

from __future__ import annotations

import re

import lxml.html
import pytest

from core.db import session_scope
from core.exporters import export_course
from core.exporters.html import render_inline_safe, render_markdown_safe
from tests.export_checks import html_findings, make_xss_course, unzip, xss_payloads
from tests.factories import make_course


def _site(db: str, course_id: int, fmt: str = "html", profile: str = "minimal") -> dict[str, bytes]:
    with session_scope(db) as session:
        data, name, mime = export_course(session, course_id, fmt, profile)
    assert mime == "application/zip" and name.endswith(".zip")
    return unzip(data)


def test_renderer_keeps_markdown_and_drops_raw_html() -> None:
    html = render_markdown_safe(
        "# T\n\n**b** <b>raw</b>\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n```py\nx = '<script>'\n```\n\n[ok](https://e.org)"
    )
    assert "<h1>T</h1>" in html and "<strong>b</strong>" in html and "&lt;b&gt;raw&lt;/b&gt;" in html
    assert '<th style="text-align:left">a</th>' in html and "<td" in html
    assert "<code class=\"language-py\">x = '&lt;script&gt;'" in html
    assert '<a href="https://e.org" rel="noopener noreferrer nofollow">ok</a>' in html
    assert render_inline_safe("a `<i>` *b*") == "a <code>&lt;i&gt;</code> <em>b</em>"
    assert render_markdown_safe("") == ""


@pytest.mark.parametrize("payload", xss_payloads())
def test_renderer_output_has_nothing_executable(payload: str) -> None:
    for rendered in (render_markdown_safe(payload), render_inline_safe(payload)):
        assert html_findings(f"<html><body>{rendered}</body></html>") == []


def test_audit_catches_the_raw_payloads() -> None:
    # The checker itself must flag the corpus when nothing sanitizes it.
    caught = [p for p in xss_payloads() if html_findings(f"<html><body>{p}</body></html>")]
    assert len(caught) >= 40


def test_site_has_pages_navigation_and_print_styles(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=3)
    files = _site(db, course_id)
    pages = sorted(n for n in files if n.endswith(".html"))
    assert pages == sorted(
        ["index.html", "module-01.html", "module-02.html"]
        + [f"lesson-{m:02d}-{n:02d}.html" for m in (1, 2) for n in (1, 2, 3)]
    )
    css = files["style.css"].decode()
    assert "@media print" in css and "max-width: 46rem" in css
    last = [n for n in pages if lxml.html.fromstring(files[n]).body.get("data-last") == "true"]
    assert last == ["lesson-02-03.html"]
    for name in pages:
        root = lxml.html.fromstring(files[name])
        assert root.get("lang") == "en"
        for href in root.xpath("//a/@href"):
            if not href.startswith(("http", "#")):
                assert href in files, f"{name} links to missing {href}"
        # the only script is the quiz's own local file, on lesson pages with a quiz
        assert root.xpath("//script/@src") == (["quiz.js"] if name.startswith("lesson") else []), name
    lesson = lxml.html.fromstring(files["lesson-01-02.html"])
    assert lesson.xpath("//a[@rel='prev']/@href") == ["lesson-01-01.html"]
    assert lesson.xpath("//a[@rel='next']/@href") == ["lesson-01-03.html"]
    assert lesson.xpath("//table") and lesson.xpath("//pre/code")
    assert [h.text_content() for h in lesson.xpath("//section/h2")][:1] == ["Objectives"]
    index = lxml.html.fromstring(files["index.html"])
    assert len(index.xpath("//ol[@class='toc']//a")) == 2 + 6


def test_full_profile_shows_provenance_and_russian_labels(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, language="ru")
    files = _site(db, course_id, profile="full")
    lesson = files["lesson-01-01.html"].decode()
    assert 'lang="ru"' in lesson and "Цели" in lesson and "Происхождение" in lesson
    assert "lesson_detail v2.0.1" in lesson and "gpt-4.1-mini" in lesson
    assert "🚀" in lesson


def test_export_bytes_are_deterministic(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=2)
    with session_scope(db) as session:
        first = export_course(session, course_id, "html", "full")[0]
        second = export_course(session, course_id, "html", "full")[0]
    assert first == second


@pytest.mark.parametrize("fmt", ["html", "scorm"])
def test_xss_corpus_leaves_nothing_executable_in_the_export(db: str, fmt: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2, slides=2)
        payloads = make_xss_course(session, course_id)
    assert len(payloads) >= 50
    files = _site(db, course_id, fmt, "full")
    pages = {n: b for n, b in files.items() if n.endswith(".html")}
    assert len(pages) >= 7
    for name, data in pages.items():
        assert html_findings(data) == [], name
    # the payloads are still there, as text a reader can see
    body = lxml.html.fromstring(pages[next(n for n in pages if "lesson-01-01" in n)]).text_content()
    assert "<script>alert(1)</script>" in body and "onerror=alert(1)" in body
    # only our own local files: the quiz, plus the SCORM shell and progress reporter
    srcs = {s for data in pages.values() for s in re.findall(rb'<script[^>]*src="([^"]+)"', data)}
    assert srcs == ({b"quiz.js"} if fmt == "html" else {b"quiz.js", b"progress.js", b"sco.js"})

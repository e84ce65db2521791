"""Shared checks for export tests: the XSS corpus, a course full of it, and an HTML audit."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import lxml.html
from sqlmodel import Session, select

from core.models import Course, Lesson, Module, SlideRow

FIXTURES = Path(__file__).parent / "fixtures"
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"

# Our own pages legitimately use these; everything else executable is a finding.
ALLOWED_SCRIPTS = {"progress.js", "sco.js", "quiz.js"}
# The quiz's own controls (issue 19): radios named q<N> and the check button, nothing else.
_QUIZ_RADIO = re.compile(r"q\d+")
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "poster",
    "srcdoc",
    "srcset",
}
ACTIVE_TAGS = {
    "iframe", "object", "embed", "svg", "math", "base", "form", "input", "button", "textarea", "select",
    "video", "audio", "source", "template", "isindex", "marquee", "frame", "frameset", "applet", "noscript",
}  # fmt: skip
_SPACE_AND_CONTROL = re.compile(r"[\s\x00-\x1f]+")


def xss_payloads() -> list[str]:
    lines = (FIXTURES / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip() and not line.startswith("#")]


def make_xss_course(session: Session, course_id: int) -> list[str]:
    """Put every payload into every kind of text field of an existing course."""
    payloads = xss_payloads()
    one_line = [" ".join(p.split()) for p in payloads]
    body = "\n\n".join(f"Paragraph {i}: before {p} after" for i, p in enumerate(payloads))
    body += "\n\n" + "\n\n".join(payloads)

    course = session.get(Course, course_id)
    assert course is not None
    course.title = one_line[0][:200]
    course.summary = "\n\n".join(payloads[:10])
    session.add(course)
    modules = session.exec(select(Module).where(Module.course_id == course_id)).all()
    for i, module in enumerate(modules):
        module.title = one_line[(i + 1) % len(one_line)][:200]
        module.summary = "\n\n".join(payloads[i::3])
        module.objectives = one_line[i::5]
        session.add(module)
    lessons = session.exec(select(Lesson).where(Lesson.course_id == course_id)).all()
    for i, lesson in enumerate(lessons):
        lesson.title = one_line[(i + 7) % len(one_line)][:200]
        lesson.objectives = one_line[i::4]
        lesson.body_md = body
        lesson.key_points = one_line[(i + 1) :: 4]
        lesson.exercises = [
            {"title": one_line[(i + 2) % len(one_line)], "instructions": "\n\n".join(payloads)}
        ]
        lesson.quiz = [
            {"question": p, "options": [p, "safe"], "answer_index": 0, "explanation": p}
            for p in one_line[i::9]
        ]
        session.add(lesson)
        for j, slide in enumerate(
            session.exec(select(SlideRow).where(SlideRow.lesson_id == lesson.id)).all()
        ):
            slide.title = one_line[(i + j) % len(one_line)][:200]
            slide.bullets = one_line[j::10]
            slide.notes = "\n".join(payloads)
            session.add(slide)
    session.flush()
    return payloads


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _url_is_dangerous(value: str) -> bool:
    squeezed = _SPACE_AND_CONTROL.sub("", value).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:")) or "javascript:" in squeezed


def _is_quiz_control(el: lxml.html.HtmlElement) -> bool:
    if el.tag == "button":
        return el.get("type") == "button" and el.get("class") == "quiz-check"
    fieldset = el.getparent().getparent() if el.getparent() is not None else None
    return (
        el.tag == "input"
        and el.get("type") == "radio"
        and bool(_QUIZ_RADIO.fullmatch(el.get("name") or ""))
        and fieldset is not None
        and fieldset.tag == "fieldset"
        and set(el.attrib) == {"type", "name", "id", "value"}
    )


def html_findings(page: str | bytes) -> list[str]:
    """Everything in a page that could run script, except our own known files."""
    root = lxml.html.document_fromstring(page)
    findings: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions
        tag = el.tag.lower()
        if tag == "script":
            src = el.get("src")
            if src not in ALLOWED_SCRIPTS or (el.text or "").strip():
                findings.append(f"script src={src!r} text={(el.text or '')[:40]!r}")
        elif tag == "iframe":
            if el.get("id") != "content" or el.get("src") or el.get("srcdoc"):
                findings.append(f"iframe {dict(el.attrib)}")
        elif tag in ACTIVE_TAGS and not _is_quiz_control(el):
            findings.append(f"active element <{tag}>")
        elif tag == "style" and el.getparent() is not None and el.getparent().tag != "head":
            findings.append("style element in body")
        elif tag == "meta" and (el.get("http-equiv") or "").lower() not in ("", "content-security-policy"):
            findings.append(f"meta http-equiv={el.get('http-equiv')!r}")
        elif tag == "link" and not (el.get("rel") == "stylesheet" and el.get("href") == "style.css"):
            findings.append(f"link {dict(el.attrib)}")
        for name, value in el.attrib.items():
            lname = name.lower()
            if lname.startswith("on"):
                findings.append(f"<{tag}> event handler {name}={value[:40]!r}")
            if lname in URL_ATTRIBUTES and _url_is_dangerous(value):
                findings.append(f"<{tag}> {name}={value[:60]!r}")
            if lname == "style" and not re.fullmatch(
                r"\s*text-align\s*:\s*(left|right|center)\s*;?\s*", value
            ):
                findings.append(f"<{tag}> style={value[:60]!r}")
    return findings

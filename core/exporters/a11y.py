"""The accessibility report of one course: what the exports make accessible on their own,
and what only the author can fix, each finding pointing at the node to edit.

`accessibility_report` is a pure function of the export document (and, for PPTX, of the
colours read from an uploaded template): no database, no files, no Streamlit. The Export
page shows it; the export job records its author findings as warnings.

Checks (WCAG 2.1 success criteria in brackets):
- image_alt [1.1.1]: every image in model Markdown has alt text. The export cannot
  invent one, so a missing one needs the author.
- link_text [2.4.4]: a link says where it goes ("here", a bare URL do not).
- headings [1.3.1, 2.4.6]: model headings are moved under the page title by the export
  (fixed automatically, reported so the author knows).
- language [3.1.2]: passages in another language are marked by the export.
- slide_titles [2.4.2]: duplicate slide titles are numbered by the export; a slide with no
  title needs the author.
- slide_notes: slides without speaker notes need the author (notes are what a presenter
  reads out for learners who cannot see the slide).
- quiz [1.3.1, 3.3.2]: every question has a question text and at least two options.
- template_contrast [1.4.3]: text colours of an uploaded PPTX template against its
  background reach 4.5:1.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from core.exporters.accessible import images, passage_language
from core.exporters.document import CourseExport

Kind = Literal["course", "module", "lesson", "slides"]
MIN_CONTRAST = 4.5  # WCAG 2.1 SC 1.4.3, normal-size text

CHECKS = (
    "image_alt",
    "link_text",
    "headings",
    "language",
    "slide_titles",
    "slide_notes",
    "quiz",
    "template_contrast",
)
# Link texts that do not say where a link goes, in the languages the studio writes.
_VAGUE_LINKS = frozenset(
    {"here", "click here", "link", "this link", "more", "read more", "this", "здесь", "тут", "ссылка", "по ссылке", "подробнее"}
)  # fmt: skip
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class NodeRef:
    """Where to fix a finding: the page (structure/lessons/slides) picks the node by id."""

    kind: Kind
    id: int | None
    title: str


@dataclass(frozen=True)
class Finding:
    check: str
    message: str  # plain English for logs and job steps; the page translates by check + params
    node: NodeRef | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    passed: list[str]  # checks with nothing to do
    fixed: list[Finding]  # what the export makes accessible by itself
    needs_author: list[Finding]  # what it cannot

    @property
    def ok(self) -> bool:
        return not self.needs_author


@dataclass(frozen=True)
class TemplateColours:
    """Text/background pairs of a PPTX template, as '#rrggbb' strings: (label, text, background)."""

    pairs: list[tuple[str, str, str]]


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", h):
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1.0 to 21.0."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _texts(doc: CourseExport) -> list[tuple[NodeRef, str, str]]:
    """(node, field, Markdown) for every block of model Markdown the exports render."""
    course = doc.course
    out: list[tuple[NodeRef, str, str]] = [
        (NodeRef("course", course.id, course.title), "summary", course.summary)
    ]
    for module in course.modules:
        out.append((NodeRef("module", module.id, module.title), "summary", module.summary))
        for lesson in module.lessons:
            ref = NodeRef("lesson", lesson.id, lesson.title)
            out.append((ref, "body", lesson.body_md))
            out += [(ref, "exercise", ex.instructions) for ex in lesson.exercises]
            out += [(ref, "quiz", q.explanation) for q in lesson.quiz]
    return out


def _without_code(text: str) -> str:
    return _FENCE.sub("", text or "")


def _images(doc: CourseExport) -> list[Finding]:
    findings: list[Finding] = []
    for node, where, text in _texts(doc):
        for image in images(text):
            if not image.alt:
                findings.append(
                    Finding(
                        "image_alt",
                        f"image {image.src!r} in the {where} of {node.kind} {node.title!r} has no alt text",
                        node,
                        {"src": image.src, "where": where},
                    )
                )
    return findings


def _links(doc: CourseExport) -> list[Finding]:
    findings = []
    for node, where, text in _texts(doc):
        for label, target in _LINK.findall(_without_code(text)):
            plain = " ".join(label.split()).strip(" .:").lower()
            if (
                plain in _VAGUE_LINKS
                or not plain
                or plain == target.lower()
                or plain.startswith(("http:", "https:"))
            ):
                findings.append(
                    Finding(
                        "link_text",
                        f"the link {label!r} -> {target} in the {where} of {node.kind} {node.title!r} "
                        "does not say where it goes",
                        node,
                        {"text": label, "href": target, "where": where},
                    )
                )
    return findings


def _headings(doc: CourseExport) -> list[Finding]:
    findings = []
    for node, where, text in _texts(doc):
        levels = [len(m.group(1)) for m in _HEADING.finditer(_without_code(text))]
        if not levels:
            continue
        skipped = any(b > a + 1 for a, b in pairwise(levels))
        if min(levels) == 1 or skipped:
            findings.append(
                Finding(
                    "headings",
                    f"headings in the {where} of {node.kind} {node.title!r} were moved under the page title",
                    node,
                    {"where": where},
                )
            )
    return findings


def _language(doc: CourseExport) -> list[Finding]:
    findings = []
    language = doc.course.language
    for node, where, text in _texts(doc):
        foreign = {
            lang
            for block in _without_code(text).split("\n\n")
            if (lang := passage_language(block, language)) is not None
        }
        titled = passage_language(node.title, language)
        if titled:
            foreign.add(titled)
        if foreign and where in ("body", "summary"):
            langs = ", ".join(sorted(foreign))
            findings.append(
                Finding(
                    "language",
                    f"passages in {langs} in {node.kind} {node.title!r} are marked with their language",
                    node,
                    {"languages": langs},
                )
            )
    return findings


def slide_titles(titles: list[str]) -> list[str]:
    """Unique titles: the n-th of k equal titles becomes "<title> (n/k)" (WCAG 2.4.2)."""
    counts = Counter(titles)
    seen: Counter[str] = Counter()
    unique = []
    for title in titles:
        if counts[title] > 1:
            seen[title] += 1
            unique.append(f"{title} ({seen[title]}/{counts[title]})")
        else:
            unique.append(title)
    return unique


def _slides(doc: CourseExport) -> tuple[list[Finding], list[Finding]]:
    fixed: list[Finding] = []
    author: list[Finding] = []
    titles = [s.title for lesson in doc.course.lessons for s in lesson.slides]
    duplicated = {t for t, n in Counter(titles).items() if n > 1}
    for lesson in doc.course.lessons:
        ref = NodeRef("slides", lesson.id, lesson.title)
        lesson_dups = sorted({s.title for s in lesson.slides if s.title in duplicated})
        if lesson_dups:
            fixed.append(
                Finding(
                    "slide_titles",
                    f"slides titled {', '.join(map(repr, lesson_dups))} are numbered to tell them apart",
                    ref,
                    {"titles": ", ".join(lesson_dups)},
                )
            )
        for i, s in enumerate(lesson.slides, 1):
            if not s.title.strip(" -"):
                author.append(
                    Finding(
                        "slide_titles", f"slide {i} of {lesson.title!r} has no title", ref, {"slide": str(i)}
                    )
                )
            if not s.notes.strip():
                author.append(
                    Finding(
                        "slide_notes",
                        f"slide {i} {s.title!r} of {lesson.title!r} has no speaker notes",
                        ref,
                        {"slide": str(i), "title": s.title},
                    )
                )
    return fixed, author


def _quiz(doc: CourseExport) -> list[Finding]:
    findings = []
    for lesson in doc.course.lessons:
        ref = NodeRef("lesson", lesson.id, lesson.title)
        for i, q in enumerate(lesson.quiz, 1):
            options = [o for o in q.options if o.strip()]
            if not q.question.strip() or len(options) < 2 or q.answer_index >= len(q.options):
                findings.append(
                    Finding(
                        "quiz",
                        f"question {i} of {lesson.title!r} needs a question text, two or more options and a valid answer",
                        ref,
                        {"question": str(i)},
                    )
                )
    return findings


def _template(colours: TemplateColours | None) -> list[Finding]:
    findings = []
    for label, text, background in colours.pairs if colours else []:
        ratio = contrast_ratio(text, background)
        if ratio < MIN_CONTRAST:
            findings.append(
                Finding(
                    "template_contrast",
                    f"the PPTX template's {label} text {text} on {background} has contrast {ratio:.2f}:1 "
                    f"(needs {MIN_CONTRAST}:1)",
                    None,
                    {"pair": label, "text": text, "background": background, "ratio": f"{ratio:.2f}"},
                )
            )
    return findings


def accessibility_report(doc: CourseExport, template: TemplateColours | None = None) -> Report:
    """Everything the author and the exports need to know, computed from the document alone."""
    missing_alt = _images(doc)
    slide_fixed, slide_author = _slides(doc)
    needs_author = [*missing_alt, *_links(doc), *_quiz(doc), *slide_author, *_template(template)]
    fixed = [*_headings(doc), *_language(doc), *slide_fixed]
    flagged = {f.check for f in needs_author}
    passed = [c for c in CHECKS if c not in flagged and (c != "template_contrast" or template is not None)]
    return Report(passed=passed, fixed=fixed, needs_author=needs_author)

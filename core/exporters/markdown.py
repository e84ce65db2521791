"""Markdown / MDX export: a ZIP with index.md and one file per lesson, for a repository.

Each lesson file opens with YAML front matter (title, module, duration, objectives and,
in the full profile, the provenance of the lesson and of its slides). Model Markdown is
written as-is for `.md`. For `.mdx`, `<` and `{`/`}` outside code are backslash-escaped,
because MDX would read them as JSX or expressions and fail to compile (or run them).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from core.exporters.document import CourseExport, ExportLesson, ExportModule, Meta
from core.exporters.labels import labels
from core.exporters.names import slugify
from core.exporters.sources import source_line
from core.exporters.zipping import make_zip

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_MDX_SPECIAL = re.compile(r"(?<!\\)([<{}])")


def slug(text: str, limit: int = 40) -> str:
    """ASCII file-name slug; Cyrillic is transliterated (issue-12)."""
    return slugify(text, limit)


# Link and image targets a reader's viewer would run or load: javascript:, vbscript:, data:
# (also written with entities, spaces or mixed case). They become "#", as in the HTML export.
_UNSAFE_SCHEME = r"(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|d\s*a\s*t\s*a)\s*(?::|&#0*58;|&colon;|%3a)"
_INLINE_TARGET = re.compile(r"(\]\(\s*<?)\s*" + _UNSAFE_SCHEME + r"[^)\s>]*", re.IGNORECASE)
_AUTOLINK = re.compile(r"<\s*" + _UNSAFE_SCHEME + r"[^>]*>", re.IGNORECASE)
_REFERENCE = re.compile(
    r"^(\s{0,3}\[[^\]]+\]:\s*<?)\s*" + _UNSAFE_SCHEME + r"\S*", re.IGNORECASE | re.MULTILINE
)
_HTML_ATTR = re.compile(
    r"((?:href|src|action|formaction)\s*=\s*[\"']?)\s*" + _UNSAFE_SCHEME + r"[^\"'\s>]*", re.IGNORECASE
)


def neutralise_links(text: str) -> str:
    """Markdown with every javascript:/vbscript:/data: link or image target replaced by "#"."""
    text = _INLINE_TARGET.sub(lambda m: m.group(1) + "#", text)
    text = _AUTOLINK.sub("#", text)
    text = _REFERENCE.sub(lambda m: m.group(1) + "#", text)
    return _HTML_ATTR.sub(lambda m: m.group(1) + "#", text)


def lesson_path(m: int, n: int, module: ExportModule, lesson: ExportLesson, ext: str) -> str:
    folder = "-".join(p for p in (f"{m:02d}", slug(module.title)) if p)
    name = "-".join(p for p in (f"{n:02d}", slug(lesson.title)) if p)
    return f"{folder}/{name}.{ext}"


def escape_mdx(text: str) -> str:
    """Escape MDX's JSX/expression characters outside fenced blocks and code spans."""
    out: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        pieces, last = [], 0
        for span in _CODE_SPAN.finditer(line):
            pieces.append(_MDX_SPECIAL.sub(r"\\\1", line[last : span.start()]))
            pieces.append(span.group(0))
            last = span.end()
        pieces.append(_MDX_SPECIAL.sub(r"\\\1", line[last:]))
        out.append("".join(pieces))
    return "".join(out)


def _meta_dict(meta: Meta | None) -> dict[str, Any] | None:
    return None if meta is None else meta.model_dump(mode="json", exclude_none=True)


def front_matter(data: dict[str, Any]) -> str:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{body}---\n"


def render_lesson(
    doc: CourseExport, m: int, n: int, module: ExportModule, lesson: ExportLesson, *, mdx: bool
) -> str:
    t = labels(doc.course.language)
    esc = (lambda s: escape_mdx(neutralise_links(s))) if mdx else neutralise_links
    fm: dict[str, Any] = {
        "title": lesson.title,
        "module": module.title,
        "module_number": m,
        "lesson_number": n,
        "duration_minutes": lesson.duration_minutes,
        "objectives": list(lesson.objectives),
    }
    if doc.profile == "full":
        fm["meta"] = _meta_dict(lesson.meta)
        fm["slides_meta"] = _meta_dict(lesson.slides_meta)
    parts = [front_matter(fm), f"# {esc(lesson.title)}\n"]
    if lesson.objectives:
        parts.append(f"## {t['objectives']}\n\n" + "".join(f"- {esc(o)}\n" for o in lesson.objectives))
    if lesson.body_md:
        parts.append(esc(lesson.body_md.rstrip()) + "\n")
    if lesson.sources:  # issue-17: footnote marks after the text, the notes below
        parts.append(
            f"*{t['sources']}:* " + " ".join(f"[^{i}]" for i in range(1, len(lesson.sources) + 1)) + "\n"
        )
    if lesson.key_points:
        parts.append(f"## {t['key_points']}\n\n" + "".join(f"- {esc(p)}\n" for p in lesson.key_points))
    if lesson.exercises:
        parts.append(f"## {t['exercises']}\n")
        parts += [f"### {esc(ex.title)}\n\n{esc(ex.instructions.rstrip())}\n" for ex in lesson.exercises]
    if lesson.quiz:
        lines = [f"## {t['quiz']}\n"]
        for i, q in enumerate(lesson.quiz, 1):
            lines.append(f"{i}. {esc(q.question)}")
            lines += [
                f"   - {'[x]' if k == q.answer_index else '[ ]'} {esc(opt)}"
                for k, opt in enumerate(q.options)
            ]
            if q.explanation:
                lines.append(f"\n   *{t['answer']}:* {esc(q.explanation)}")
            lines.append("")
        parts.append("\n".join(lines))
    if lesson.sources:
        parts.append(
            f"## {t['sources']}\n\n"
            + "".join(
                f"[^{i}]: {esc(source_line(item, t['page']))}\n" for i, item in enumerate(lesson.sources, 1)
            )
        )
    if lesson.slides:
        lines = [f"## {t['slides']}\n"]
        for i, slide in enumerate(lesson.slides, 1):
            lines.append(f"### {i}. {esc(slide.title)}\n")
            lines += [f"- {esc(b)}" for b in slide.bullets]
            if slide.notes:
                lines.append("")
                lines += [f"> {esc(line)}" if line else ">" for line in slide.notes.splitlines()]
            lines.append("")
        parts.append("\n".join(lines))
    return "\n".join(parts)


def render_index(doc: CourseExport, *, ext: str, mdx: bool) -> str:
    course = doc.course
    t = labels(course.language)
    esc = (lambda s: escape_mdx(neutralise_links(s))) if mdx else neutralise_links
    fm: dict[str, Any] = {
        "title": course.title,
        "language": course.language,
        "modules": len(course.modules),
        "lessons": len(course.lessons),
        "duration_minutes": course.duration_minutes,
    }
    if doc.profile == "full":
        fm["meta"] = _meta_dict(course.meta)
        fm["totals"] = doc.totals.model_dump(mode="json") if doc.totals else None
    lines = [front_matter(fm), f"# {esc(course.title)}\n"]
    if course.summary:
        lines.append(esc(course.summary.rstrip()) + "\n")
    lines.append(f"## {t['contents']}\n")
    for m, module in enumerate(course.modules, 1):
        lines.append(f"{m}. **{esc(module.title)}** ({module.duration_minutes} {t['min']})")
        for n, lesson in enumerate(module.lessons, 1):
            path = lesson_path(m, n, module, lesson, ext)
            # Link text is escaped; brackets in titles would otherwise end the link early.
            label = esc(lesson.title).replace("[", r"\[").replace("]", r"\]")
            lines.append(f"   {n}. [{label}](<{path}>) ({lesson.duration_minutes} {t['min']})")
    return "\n".join(lines) + "\n"


def build_files(doc: CourseExport, *, mdx: bool = False) -> dict[str, str]:
    ext = "mdx" if mdx else "md"
    files = {f"index.{ext}": render_index(doc, ext=ext, mdx=mdx)}
    for m, module in enumerate(doc.course.modules, 1):
        for n, lesson in enumerate(module.lessons, 1):
            files[lesson_path(m, n, module, lesson, ext)] = render_lesson(doc, m, n, module, lesson, mdx=mdx)
    return files


def export_markdown(doc: CourseExport) -> bytes:
    return make_zip(build_files(doc, mdx=False))


def export_mdx(doc: CourseExport) -> bytes:
    return make_zip(build_files(doc, mdx=True))

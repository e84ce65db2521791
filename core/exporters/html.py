"""HTML export: a static, offline-readable site in a ZIP.

Pages are flat (index.html, module-NN.html, lesson-NN-MM.html, style.css, quiz.js) so
every link is relative and the folder opens from disk. Model text reaches the page only
through `render_accessible`/`render_inline_accessible` (the sanitized renderers plus
heading levels and `lang`, see accessible.py) or plain escaping; Jinja autoescapes
everything else. The only script is our own quiz.js (WCAG: a keyboard quiz whose
feedback is announced); the pages read fine without it. Each page also carries a Content-Security-Policy as a second line of
defence, but the sanitizer alone is what the tests hold to account.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from core.exporters.accessible import passage_language, render_accessible, render_inline_accessible
from core.exporters.document import CourseExport, ExportLesson, ExportModule, Meta, Totals
from core.exporters.labels import labels
from core.exporters.render import escape_text, render_inline_safe, render_markdown_safe
from core.exporters.sources import source_line
from core.exporters.zipping import make_zip

__all__ = ["build_site", "export_html", "render_inline_safe", "render_markdown_safe"]

TEMPLATE_DIR = Path(__file__).parent / "templates" / "html"
STYLESHEET = "style.css"
QUIZ_SCRIPT = "quiz.js"
# Scripts only from the site's own files (quiz.js, and progress.js in SCORM); never inline.
CSP_SITE = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; media-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
CSP_SCORM = CSP_SITE


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class _Link:
    href: str
    label: str
    lang: str | None = None  # set when the label is in another language than the course


def module_page(m: int) -> str:
    return f"module-{m:02d}.html"


def lesson_page(m: int, lesson: int) -> str:
    return f"lesson-{m:02d}-{lesson:02d}.html"


@dataclass(frozen=True)
class _Text:
    """Renders model text for one course: headings under `base`, lang on foreign passages."""

    language: str

    def md(self, text: str, base: int = 2) -> Markup:
        # trusted: the text went through nh3 just now
        return Markup(render_accessible(text, base=base, language=self.language))

    def inline(self, text: str) -> Markup:
        return render_inline_accessible(text, language=self.language)


def meta_rows(meta: Meta | None) -> list[tuple[str, str]]:
    if meta is None:
        return []
    rows = [
        ("revision", meta.revision_id),
        ("prompt", f"{meta.prompt_id} v{meta.prompt_version}" if meta.prompt_id else None),
        ("prompt checksum", meta.prompt_checksum),
        ("model", meta.model),
        ("tokens", f"{meta.input_tokens} in / {meta.output_tokens} out"),
        ("cost", f"${meta.cost_usd:.4f}"),
        ("generated at", meta.generated_at.isoformat(timespec="seconds") if meta.generated_at else None),
    ]
    return [(k, str(v)) for k, v in rows if v not in (None, "")]


def _total_rows(totals: Totals | None) -> list[tuple[str, str]]:
    if totals is None:
        return []
    return [
        ("tokens", f"{totals.input_tokens} in / {totals.output_tokens} out"),
        ("cost", f"${totals.cost_usd:.4f}"),
    ]


def _letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def _lesson_context(lesson: ExportLesson, tx: _Text, t: dict[str, str]) -> dict[str, Any]:
    _md, _inline = tx.md, tx.inline
    return {
        "title_html": _inline(lesson.title),
        "duration": lesson.duration_minutes,
        "objectives": [_inline(o) for o in lesson.objectives],
        "body_html": _md(lesson.body_md),
        "key_points": [_inline(p) for p in lesson.key_points],
        "exercises": [
            {"title_html": _inline(ex.title), "instructions_html": _md(ex.instructions, base=4)}
            for ex in lesson.exercises
        ],
        "quiz": [
            {
                "question_html": _inline(q.question),
                "options": [{"letter": _letter(k), "html": _inline(o)} for k, o in enumerate(q.options)],
                "answer_index": q.answer_index,
                "answer_letter": _letter(q.answer_index),
                "wrong_text": t["quiz_wrong"].format(letter=_letter(q.answer_index)),
                "explanation_html": _md(q.explanation, base=3),
            }
            for q in lesson.quiz
        ],
        "slides": [
            {"title_html": _inline(s.title), "bullets": [_inline(b) for b in s.bullets]}
            for s in lesson.slides
        ],
        "meta_rows": meta_rows(lesson.meta),
        "slides_meta_rows": meta_rows(lesson.slides_meta),
        "video": _video_context(lesson),
        # issue-17: cited passages, as footnotes
        "sources": [_inline(source_line(item, t["page"])) for item in lesson.sources or []],
    }


def _video_context(lesson: ExportLesson) -> dict[str, Any] | None:
    # issue-14: only a video whose file is in the package is embedded.
    video = lesson.video
    if video is None or video._source is None:
        return None
    return {"src": video.href, "captions": video.captions_href if video._captions_source else None}


def video_files(doc: CourseExport) -> dict[str, bytes]:
    """issue-14: each lesson video (and its captions) at the path the pages point to."""
    files: dict[str, bytes] = {}
    for lesson in doc.course.lessons:
        video = lesson.video
        if video is None or video._source is None:
            continue
        files[video.href] = video._source.read_bytes()
        if video.captions_href and video._captions_source is not None:
            files[video.captions_href] = video._captions_source.read_bytes()
    return files


def _module_context(number: int, module: ExportModule, tx: _Text) -> dict[str, Any]:
    _md, _inline = tx.md, tx.inline
    return {
        "title_html": _inline(module.title),
        "number": number,
        "summary_html": _md(module.summary),
        "objectives": [_inline(o) for o in module.objectives],
        "duration": module.duration_minutes,
        "lesson_count": len(module.lessons),
        "lessons": [
            {
                "href": lesson_page(number, j),
                "title_html": _inline(lsn.title),
                "duration": lsn.duration_minutes,
            }
            for j, lsn in enumerate(module.lessons, 1)
        ],
        "meta_rows": meta_rows(module.meta),
    }


def build_site(doc: CourseExport, *, scorm: bool = False) -> dict[str, bytes]:
    """Every file of the site, path -> bytes, in reading order (index first)."""
    course = doc.course
    t = labels(course.language)
    tx = _Text(course.language)
    env = _env()

    def link(href: str, label: str) -> _Link:
        return _Link(href, label, passage_language(label, course.language))

    # Reading order drives prev/next and tells which page is the last lesson.
    order: list[tuple[str, str, str, dict[str, Any]]] = [("index", "index.html", course.title, {})]
    for i, module in enumerate(course.modules, 1):
        order.append(("module", module_page(i), module.title, {"number": i, "module": module}))
        for j, lesson in enumerate(module.lessons, 1):
            order.append(
                (
                    "lesson",
                    lesson_page(i, j),
                    lesson.title,
                    {"m": i, "n": j, "module": module, "lesson": lesson},
                )
            )
    last_lesson = max((k for k, page in enumerate(order) if page[0] == "lesson"), default=len(order) - 1)

    common = {
        "lang": escape_text(course.language),
        "course_title": course.title,
        "t": t,
        "csp": CSP_SCORM if scorm else CSP_SITE,
        "scorm": scorm,
    }
    files: dict[str, bytes] = {}
    for k, (kind, name, title, extra) in enumerate(order):
        ctx: dict[str, Any] = {
            **common,
            "kind": kind,
            "page_name": name,
            "page_title": title if kind == "index" else f"{title} · {course.title}",
            "is_last": k == last_lesson,
            "prev": link(order[k - 1][1], order[k - 1][2]) if k > 0 else None,
            "next": link(order[k + 1][1], order[k + 1][2]) if k + 1 < len(order) else None,
            "crumbs": [],
        }
        if kind == "index":
            ctx.update(
                title_html=tx.inline(course.title),
                summary_html=tx.md(course.summary),
                module_count=len(course.modules),
                lesson_count=len(course.lessons),
                duration=course.duration_minutes,
                modules=[
                    {**_module_context(i, m, tx), "href": module_page(i)}
                    for i, m in enumerate(course.modules, 1)
                ],
                meta_rows=meta_rows(course.meta),
                total_rows=_total_rows(doc.totals),
            )
            template = "index.html.j2"
        elif kind == "module":
            ctx.update(_module_context(extra["number"], extra["module"], tx))
            ctx["crumbs"] = [_Link("index.html", t["home"])]
            template = "module.html.j2"
        else:
            ctx.update(_lesson_context(extra["lesson"], tx, t))
            ctx.update(module_number=extra["m"], number=extra["n"])
            ctx["crumbs"] = [
                _Link("index.html", t["home"]),
                link(module_page(extra["m"]), extra["module"].title),
            ]
            template = "lesson.html.j2"
        files[name] = env.get_template(template).render(ctx).encode("utf-8")
    files[STYLESHEET] = (TEMPLATE_DIR / STYLESHEET).read_bytes()
    files.update(video_files(doc))  # issue-14
    files[QUIZ_SCRIPT] = (TEMPLATE_DIR / QUIZ_SCRIPT).read_bytes()
    return files


def export_html(doc: CourseExport) -> bytes:
    return make_zip(build_site(doc))

"""PPTX export with python-pptx: title slide, a section slide per module, lesson slides.

Layouts are looked up by name ("Title Slide", "Section Header", "Title and Content") in
the default template or in a team's uploaded template; a template without them is
refused with the missing names listed.

Overflow policy (text is fitted by rule, never left to spill out of a placeholder):
- Slide titles: at most TITLE_MAX_CHARS characters; longer titles are cut at a word
  boundary with an ellipsis, and the full title is added to the speaker notes.
- Bullets: at most MAX_BULLETS bullets and MAX_LINES estimated lines per slide (a bullet
  takes ceil(len / CHARS_PER_LINE) lines). Bullets beyond that budget move to a
  continuation slide titled "<title> (cont.)", as many as needed.
- A single bullet longer than BULLET_MAX_CHARS is cut with an ellipsis and its full text
  goes to the speaker notes, so nothing is lost.
- Speaker notes are not limited: the notes pane scrolls. The full profile appends the
  slide deck's provenance (prompt, model, tokens, cost, revision) to every lesson slide.
- Module summaries on section slides and the course summary on the title slide are cut
  to SUMMARY_MAX_CHARS.
- No shrink-to-fit autofit: LibreOffice shrinks such text even when it fits, and
  PowerPoint only applies it when the slide is edited; the budget above is the guarantee.
A lesson without slides gets one slide with its key points (or objectives), so every
lesson appears in the deck.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from pptx import Presentation
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.opc.packuri import PackURI
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide, SlideLayout
from pptx.text.text import TextFrame

from core.errors import AppError, Code
from core.exporters.a11y import TemplateColours, slide_titles
from core.exporters.accessible import passage_language
from core.exporters.document import CourseExport, ExportLesson, Meta
from core.exporters.labels import labels
from core.exporters.sources import source_line
from core.text import shorten

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "default.pptx"
LAYOUT_TITLE = "Title Slide"
LAYOUT_SECTION = "Section Header"
LAYOUT_CONTENT = "Title and Content"
REQUIRED_LAYOUTS = (LAYOUT_TITLE, LAYOUT_SECTION, LAYOUT_CONTENT)

TITLE_MAX_CHARS = 80
MAX_BULLETS = 6
MAX_LINES = 11
CHARS_PER_LINE = 85  # measured: ~90 Latin or Cyrillic characters fit one line of the 22 pt body
BULLET_MAX_CHARS = 280
SUMMARY_MAX_CHARS = 300

_BODY_TYPES = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT, PP_PLACEHOLDER.SUBTITLE}
_INLINE = re.compile(r"(\*\*[^*]+\*\*|`[^`]+`)")
_MD_NOISE = re.compile(r"(?<!\w)[*_]{1,2}(?=\S)|(?<=\S)[*_]{1,2}(?!\w)")


# ------------------------------------------------------------------ the fitting policy


def bullet_lines(bullet: str) -> int:
    return max(1, math.ceil(len(bullet) / CHARS_PER_LINE))


@dataclass
class PlannedSlide:
    title: str
    bullets: list[str]
    notes: str
    continuation: bool = False
    extra_notes: list[str] = field(default_factory=list)


def plan_slide(
    title: str, bullets: list[str], notes: str, *, cont_label: str = "cont."
) -> list[PlannedSlide]:
    """Apply the overflow policy to one source slide; returns one or more slides."""
    extra: list[str] = []
    short_title = shorten(title, TITLE_MAX_CHARS)
    if short_title != " ".join(title.split()):
        extra.append(title)
    fitted: list[str] = []
    for bullet in bullets:
        text = " ".join(bullet.split())
        if not text:
            continue
        short = shorten(text, BULLET_MAX_CHARS)
        if short != text:
            extra.append(text)
        fitted.append(short)

    pages: list[list[str]] = [[]]
    lines = 0
    for bullet in fitted:
        cost = bullet_lines(bullet)
        if pages[-1] and (len(pages[-1]) >= MAX_BULLETS or lines + cost > MAX_LINES):
            pages.append([])
            lines = 0
        pages[-1].append(bullet)
        lines += cost

    cont_title = shorten(title, TITLE_MAX_CHARS - len(cont_label) - 3) + f" ({cont_label})"
    planned = [PlannedSlide(short_title, pages[0], notes, extra_notes=extra)]
    planned += [PlannedSlide(cont_title, page, "", continuation=True) for page in pages[1:]]
    return planned


# ------------------------------------------------------------------ template


def _layouts(prs: PresentationType) -> dict[str, SlideLayout]:
    found: dict[str, SlideLayout] = {}
    for master in prs.slide_masters:
        for layout in master.slide_layouts:
            found.setdefault(layout.name, layout)
    return found


def _has_body(layout: SlideLayout) -> bool:
    return any(ph.placeholder_format.type in _BODY_TYPES for ph in layout.placeholders)


def _has_title(layout: SlideLayout) -> bool:
    return any(
        ph.placeholder_format.type in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
        for ph in layout.placeholders
    )


def open_template(template_path: str | Path | None = None) -> tuple[PresentationType, dict[str, SlideLayout]]:
    """Load a template, drop any sample slides, and check the layouts the export needs."""
    path = Path(template_path) if template_path else DEFAULT_TEMPLATE
    if template_path:
        from core.safe_input import check_zip

        check_zip(path, what=f"the PPTX template {path.name}")  # issue 10: zip bombs refused
    try:
        prs = Presentation(str(path))
    except Exception as exc:  # python-pptx raises several types for a broken file
        raise AppError(Code.VALIDATION, f"the PPTX template {path.name} cannot be opened: {exc}") from exc
    _drop_slides(prs)
    _fast_partnames(prs)
    layouts = _layouts(prs)
    missing = [name for name in REQUIRED_LAYOUTS if name not in layouts]
    unusable = [
        name
        for name in REQUIRED_LAYOUTS
        if name in layouts and not (_has_title(layouts[name]) and _has_body(layouts[name]))
    ]
    if missing or unusable:
        problems = [f"missing layout {name!r}" for name in missing]
        problems += [f"layout {name!r} needs a title and a text placeholder" for name in unusable]
        raise AppError(
            Code.VALIDATION,
            f"the PPTX template cannot be used: {'; '.join(problems)}",
            details={
                "missing_layouts": missing,
                "unusable_layouts": unusable,
                "available_layouts": sorted(layouts),
            },
        )
    return prs, layouts


def _fast_partnames(prs: PresentationType) -> None:
    """Hand out part names from a counter instead of walking the whole package each time.

    python-pptx 1.0.2 finds the next free notes-slide name by walking every relationship
    in the package, once per notes slide: quadratic, about 70% of a 600-slide export.
    The build only adds parts, so after the first real lookup per name pattern the next
    free number is simply the previous one plus one.
    """
    package = prs.part.package
    real_next = package.next_partname
    issued: dict[str, int] = {}

    def next_partname(tmpl: str) -> PackURI:
        if tmpl not in issued:
            name = real_next(tmpl)
            issued[tmpl] = int(re.findall(r"\d+", str(name))[-1])
            return name
        issued[tmpl] += 1
        return PackURI(tmpl % issued[tmpl])

    package.next_partname = next_partname  # type: ignore[method-assign]


def _drop_slides(prs: PresentationType) -> None:
    slide_ids = prs.slides._sldIdLst
    for slide_id in list(slide_ids):
        prs.part.drop_rel(slide_id.rId)
        slide_ids.remove(slide_id)


# ------------------------------------------------------------------ filling slides


def _body(slide: Slide) -> TextFrame | None:
    for ph in slide.placeholders:
        if ph.placeholder_format.type in _BODY_TYPES:
            return ph.text_frame
    return None


_LANGUAGE_IDS = {"en": MSO_LANGUAGE_ID.ENGLISH_US, "ru": MSO_LANGUAGE_ID.RUSSIAN}


def _add_runs(paragraph, text: str, language: str) -> None:  # type: ignore[no-untyped-def]
    """Light Markdown for bullets: **bold** and `code` become runs, other markers go.

    A line in the other language of the studio gets its language on every run, so screen
    readers and the spell checker switch voice and dictionary (WCAG 3.1.2)."""
    foreign = _LANGUAGE_IDS.get(passage_language(text, language) or "")
    for piece in _INLINE.split(text):
        if not piece:
            continue
        run = paragraph.add_run()
        if foreign is not None:
            run.font.language_id = foreign
        if piece.startswith("**") and piece.endswith("**") and len(piece) > 4:
            run.text = piece[2:-2]
            run.font.bold = True
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 2:
            run.text = piece[1:-1]
            run.font.name = "Courier New"
        else:
            run.text = _MD_NOISE.sub("", piece)


def _fill(frame: TextFrame | None, lines: list[str], language: str) -> None:
    if frame is None:
        return
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        _add_runs(paragraph, line, language)


def _set_title(slide: Slide, text: str, language: str) -> None:
    if slide.shapes.title is not None:
        slide.shapes.title.text_frame.text = text
        foreign = _LANGUAGE_IDS.get(passage_language(text, language) or "")
        for run in slide.shapes.title.text_frame.paragraphs[0].runs if foreign is not None else []:
            run.font.language_id = foreign


def _meta_line(meta: Meta | None) -> str:
    if meta is None:
        return ""
    parts = [
        f"prompt {meta.prompt_id} v{meta.prompt_version}" if meta.prompt_id else "",
        f"model {meta.model}" if meta.model else "",
        f"tokens {meta.input_tokens}/{meta.output_tokens}",
        f"cost ${meta.cost_usd:.4f}",
        f"revision {meta.revision_id}" if meta.revision_id is not None else "",
        f"generated {meta.generated_at.isoformat(timespec='seconds')}" if meta.generated_at else "",
    ]
    return "[" + "; ".join(p for p in parts if p) + "]"


def _source_slides(lesson: ExportLesson) -> list[tuple[str, list[str], str]]:
    if lesson.slides:
        return [(s.title, s.bullets, s.notes) for s in lesson.slides]
    return [(lesson.title, lesson.key_points or lesson.objectives, "")]


def build_presentation(doc: CourseExport, template_path: str | Path | None = None) -> PresentationType:
    prs, layouts = open_template(template_path)
    course = doc.course
    t = labels(course.language)
    full = doc.profile == "full"

    slide = prs.slides.add_slide(layouts[LAYOUT_TITLE])
    _set_title(slide, shorten(course.title, TITLE_MAX_CHARS), course.language)
    facts = t["facts"].format(
        modules=len(course.modules), lessons=len(course.lessons), minutes=course.duration_minutes
    )
    subtitle = [shorten(course.summary, SUMMARY_MAX_CHARS)] if course.summary.strip() else []
    _fill(_body(slide), [*subtitle, facts], course.language)
    title_notes = [course.title, course.summary.strip(), facts]
    if full and doc.totals:
        title_notes.append(
            f"tokens {doc.totals.input_tokens}/{doc.totals.output_tokens}; cost ${doc.totals.cost_usd:.4f}"
        )
    slide.notes_slide.notes_text_frame.text = "\n\n".join(n for n in title_notes if n)

    for m, module in enumerate(course.modules, 1):
        slide = prs.slides.add_slide(layouts[LAYOUT_SECTION])
        _set_title(slide, shorten(f"{t['module']} {m}. {module.title}", TITLE_MAX_CHARS), course.language)
        lines = [shorten(module.summary, SUMMARY_MAX_CHARS)] if module.summary.strip() else []
        lines.append(t["module_facts"].format(lessons=len(module.lessons), minutes=module.duration_minutes))
        _fill(_body(slide), lines, course.language)
        # Notes on every slide: the full summary and objectives, which the slide shortens.
        section_notes = [module.summary.strip(), *module.objectives]
        if full and module.meta:
            section_notes.append(_meta_line(module.meta))
        slide.notes_slide.notes_text_frame.text = "\n\n".join(n for n in section_notes if n) or module.title

        for lesson in module.lessons:
            provenance = _meta_line(lesson.slides_meta) if full else ""
            for title, bullets, notes in _source_slides(lesson):
                for planned in plan_slide(title, bullets, notes, cont_label=t["continued"]):
                    slide = prs.slides.add_slide(layouts[LAYOUT_CONTENT])
                    _set_title(slide, planned.title, course.language)
                    _fill(_body(slide), planned.bullets, course.language)
                    # No author notes: the slide's own text, in full, so notes are never empty.
                    spoken = planned.notes or "\n".join([planned.title, *planned.bullets])
                    notes_text = "\n\n".join(p for p in (spoken, *planned.extra_notes, provenance) if p)
                    slide.notes_slide.notes_text_frame.text = notes_text
            if lesson.sources:  # issue-17: the lesson's sources in the notes of its last slide
                cited = "\n".join(
                    f"[{i}] {source_line(item, t['page'])}" for i, item in enumerate(lesson.sources, 1)
                )
                frame = slide.notes_slide.notes_text_frame
                frame.text = f"{frame.text}\n\n{t['sources']}:\n{cited}"
    make_accessible(prs)
    prs.core_properties.title = course.title[:255]
    prs.core_properties.author = "Course Studio"
    prs.core_properties.language = course.language
    return prs


# ------------------------------------------------------------------ accessibility


def _title_shape(slide: Slide):  # type: ignore[no-untyped-def]
    return slide.shapes.title


def _reading_order(slide: Slide) -> None:
    """Shape order is reading order for screen readers: title first, then top-to-bottom, left-to-right."""
    tree = slide.shapes._spTree
    title = _title_shape(slide)
    shapes = list(slide.shapes)

    def key(shape) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
        top = shape.top if shape.top is not None else 0
        left = shape.left if shape.left is not None else 0
        return (0 if title is not None and shape.shape_id == title.shape_id else 1, top, left)

    ordered = sorted(shapes, key=key)
    if [s.shape_id for s in ordered] == [s.shape_id for s in shapes]:
        return
    for shape in shapes:
        tree.remove(shape._element)
    for shape in ordered:
        tree.append(shape._element)


def _is_picture(shape) -> bool:  # type: ignore[no-untyped-def]
    return shape.shape_type == MSO_SHAPE_TYPE.PICTURE


def make_accessible(prs: PresentationType) -> None:
    """Unique titles ("(2/3)" on repeats), reading order, and alt text on pictures."""
    slides = list(prs.slides)
    titles = [(_title_shape(s).text_frame.text if _title_shape(s) is not None else "") for s in slides]
    for slide, old, new in zip(slides, titles, slide_titles(titles), strict=True):
        if new != old and _title_shape(slide) is not None:
            _title_shape(slide).text_frame.text = new
    for slide in slides:
        _reading_order(slide)
        for shape in slide.shapes:
            if _is_picture(shape):
                c_nv_pr = shape._element.nvPicPr.cNvPr
                if not (c_nv_pr.get("descr") or "").strip():
                    c_nv_pr.set("descr", shape.name)


def accessibility_problems(prs: PresentationType) -> list[str]:
    """What the deck still lacks after `make_accessible`: the export reports these."""
    problems: list[str] = []
    titles: list[str] = []
    for number, slide in enumerate(prs.slides, 1):
        title = _title_shape(slide)
        text = title.text_frame.text.strip() if title is not None else ""
        if not text.strip(" -"):
            problems.append(f"slide {number} has no title")
        titles.append(text)
        if not (slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip()):
            problems.append(f"slide {number} has no speaker notes")
        for shape in slide.shapes:
            described = (
                (shape._element.nvPicPr.cNvPr.get("descr") or "").strip() if _is_picture(shape) else "-"
            )
            if not described:
                problems.append(f"slide {number}: picture {shape.name!r} has no alt text")
    repeated = sorted({t for t in titles if t and titles.count(t) > 1})
    problems += [f"the title {t!r} is on more than one slide" for t in repeated]
    return problems


_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_RT_THEME = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"


def _colour(element) -> str | None:  # type: ignore[no-untyped-def]
    if element is None:
        return None
    srgb = element.find(f"{_A}srgbClr")
    if srgb is not None:
        return "#" + srgb.get("val", "").lower()
    system = element.find(f"{_A}sysClr")
    if system is not None and system.get("lastClr"):
        return "#" + system.get("lastClr", "").lower()
    return None


def template_colours(template: str | Path | bytes | None = None) -> TemplateColours:
    """Text/background colour pairs a template's slides use, read from its theme and master."""
    from lxml import etree

    if isinstance(template, bytes):
        try:
            prs = Presentation(io.BytesIO(template))
        except Exception as exc:  # python-pptx raises several types for a broken file
            raise AppError(Code.VALIDATION, f"the PPTX template cannot be opened: {exc}") from exc
    else:
        prs, _ = open_template(template)
    master = prs.slide_masters[0]
    theme = etree.fromstring(master.part.part_related_by(_RT_THEME).blob)
    scheme = theme.find(f".//{_A}clrScheme")
    named = {}
    if scheme is not None:
        for name in ("dk1", "lt1", "dk2", "lt2", "hlink"):
            colour = _colour(scheme.find(f"{_A}{name}"))
            if colour:
                named[name] = colour
    # A solid master background replaces lt1 as what text sits on.
    bg_fill = master._element.find(
        ".//{http://schemas.openxmlformats.org/presentationml/2006/main}bg//" + f"{_A}solidFill"
    )
    background = _colour(bg_fill) or named.get("lt1")
    pairs: list[tuple[str, str, str]] = []
    if background and "dk1" in named:
        pairs.append(("body text", named["dk1"], background))
    if "dk2" in named and "lt2" in named:
        pairs.append(("dark 2 on light 2", named["dk2"], named["lt2"]))
    if background and "hlink" in named:
        pairs.append(("hyperlink", named["hlink"], background))
    return TemplateColours(pairs)


def export_pptx(doc: CourseExport, template_path: str | Path | None = None) -> bytes:
    buffer = io.BytesIO()
    build_presentation(doc, template_path).save(buffer)
    return buffer.getvalue()

"""PPTX accessibility: unique titles, notes on every slide, reading order, alt text on
pictures, language of foreign runs, and the contrast of an uploaded template's colours."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from pptx import Presentation
from pptx.util import Inches

from core.db import session_scope
from core.exporters import export_course
from core.exporters import pptx as px
from core.exporters.a11y import accessibility_report
from tests.a11y.course import make_a11y_course, png_1px


def _deck(db: str, language: str = "en") -> Presentation:
    with session_scope(db) as session:
        course_id = make_a11y_course(session, language=language)
    with session_scope(db) as session:
        data, _, _ = export_course(session, course_id, "pptx", "minimal")
    return Presentation(io.BytesIO(data))


def test_every_slide_has_a_unique_title_notes_and_title_first_reading_order(db: str) -> None:
    deck = _deck(db)
    slides = list(deck.slides)
    titles = [s.shapes.title.text_frame.text for s in slides]
    assert len(titles) == len(set(titles)) == 1 + 2 + 4 * 2
    # the factory gives every lesson "Slide 1: ..." and "Slide 2: ...": numbered like (2/4)
    assert "Slide 2: what changes and why (2/4)" in titles
    for slide in slides:
        assert slide.notes_slide.notes_text_frame.text.strip(), slide.shapes.title.text
        assert next(iter(slide.shapes)).shape_id == slide.shapes.title.shape_id
    assert px.accessibility_problems(deck) == []


def test_runs_in_the_other_language_carry_it(db: str) -> None:
    deck = _deck(db)
    xml = b"".join(s.part.blob for s in deck.slides)
    assert xml.count(b'lang="ru-RU"') == 1  # one Russian bullet in an English course
    assert b'lang="ru-RU"/><a:t>\xd0\x9f' in xml  # "Проверить ..."
    assert b'lang="en-US"' not in xml
    russian = b"".join(s.part.blob for s in _deck(db, "ru").slides)
    assert b'lang="en-US"/><a:t>Check the table columns</a:t>' in russian
    assert b'lang="en-US"/><a:t>Data cleaning for analysts</a:t>' in russian  # an English course title
    assert b'lang="ru-RU"' not in russian


def test_pictures_get_alt_text_and_reading_order_follows_position() -> None:
    prs, layouts = px.open_template()
    slide = prs.slides.add_slide(layouts[px.LAYOUT_CONTENT])
    slide.shapes.title.text_frame.text = "Chart"
    low = slide.shapes.add_picture(io.BytesIO(png_1px()), Inches(1), Inches(6), Inches(1), Inches(1))
    high = slide.shapes.add_picture(io.BytesIO(png_1px()), Inches(1), Inches(0.2), Inches(1), Inches(1))
    high.name = "Logo of the team"
    for picture in (low, high):  # python-pptx writes the file name as descr; a real deck may have none
        picture._element.nvPicPr.cNvPr.attrib.pop("descr", None)
    # a picture above the title and out of order in the tree: the title still reads first
    tree = slide.shapes._spTree
    title = slide.shapes.title._element
    tree.remove(title)
    tree.append(title)
    slide.notes_slide.notes_text_frame.text = "n"
    assert "has no alt text" in " ".join(px.accessibility_problems(prs))

    px.make_accessible(prs)
    order = [shape.name for shape in slide.shapes]
    assert order[0] == slide.shapes.title.name
    assert order.index("Logo of the team") < order.index(low.name)
    descr = [s._element.nvPicPr.cNvPr.get("descr") for s in slide.shapes if px._is_picture(s)]
    assert descr == ["Logo of the team", low.name]
    assert px.accessibility_problems(prs) == []


def _template_with(tmp_path: Path, dk1: str) -> Path:
    out = tmp_path / "low.pptx"
    with zipfile.ZipFile(px.DEFAULT_TEMPLATE) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "ppt/theme/theme1.xml":
                data = data.replace(
                    b'<a:dk1><a:srgbClr val="1F2933"/>', f'<a:dk1><a:srgbClr val="{dk1}"/>'.encode()
                )
            dst.writestr(item, data)
    return out


def test_template_colours_and_their_contrast(db: str, tmp_path: Path) -> None:
    default = px.template_colours()
    assert ("body text", "#1f2933", "#ffffff") in default.pairs
    with session_scope(db) as session:
        course_id = make_a11y_course(session)
    from core.exporters.document import build_document
    from core.services.courses import load_course

    with session_scope(db) as session:
        doc = build_document(load_course(session, course_id))
    assert "template_contrast" in accessibility_report(doc, default).passed

    pale = px.template_colours(_template_with(tmp_path, "AAAAAA"))
    report = accessibility_report(doc, pale)
    [low] = [f for f in report.needs_author if f.check == "template_contrast"]
    assert low.params["text"] == "#aaaaaa" and float(low.params["ratio"]) < 4.5

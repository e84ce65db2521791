"""PPTX export: structure, notes, the overflow policy, templates, and a LibreOffice render."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pptx import Presentation
from sqlmodel import select

from core.db import session_scope
from core.errors import AppError
from core.exporters import export_course
from core.exporters import pptx as px
from core.models import SlideRow
from tests.export_checks import OUTPUT
from tests.factories import make_course

TITLES_EN = ("Title Slide", "Section Header", "Title and Content")


def _deck(db: str, course_id: int, profile: str = "minimal", template: Path | None = None) -> Presentation:
    with session_scope(db) as session:
        data, name, mime = export_course(session, course_id, "pptx", profile, template_path=template)
    assert name.endswith(".pptx") and mime.endswith("presentationml.presentation")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names)), "two parts share a name"
    return Presentation(io.BytesIO(data))


def _notes(slide) -> str:  # type: ignore[no-untyped-def]
    return slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""


def test_deck_has_title_module_and_lesson_slides_with_notes(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=3, slides=4)
    prs = _deck(db, course_id)
    slides = list(prs.slides)
    assert len(slides) == 1 + 2 + 2 * 3 * 4
    assert [s.slide_layout.name for s in slides[:3]] == ["Title Slide", "Section Header", "Title and Content"]
    assert slides[0].shapes.title.text == "Data cleaning for analysts"
    assert "Modules: 2 · Lessons: 6 · 90 min" in slides[0].placeholders[1].text_frame.text
    assert slides[1].shapes.title.text == "Module 1. Working with data, part 1"
    assert slides[14].shapes.title.text == "Module 2. Working with data, part 2"
    lesson_slide = slides[2]
    # the factory repeats slide titles across lessons: numbered to be unique (issue 19)
    assert lesson_slide.shapes.title.text == "Slide 1: what changes and why (1/6)"
    body = [p.text for p in lesson_slide.placeholders[1].text_frame.paragraphs]
    assert body == [f"Point {i}: validate the schema, then transform the rows" for i in range(1, 5)]
    assert _notes(lesson_slide).startswith("Speak to the example")
    assert "gpt-4.1-mini" not in _notes(lesson_slide)  # minimal: content only


def test_full_profile_adds_provenance_to_the_notes(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, slides=2)
    slides = list(_deck(db, course_id, "full").slides)
    notes = _notes(slides[2])
    assert "Speak to the example" in notes
    assert "prompt slides v1.4.0" in notes and "model gpt-4.1-mini" in notes and "revision " in notes
    assert "prompt outline v1.2.0" in _notes(slides[1])


def test_overflow_policy_splits_bullets_and_shortens_titles() -> None:
    bullets = [f"bullet {i}" for i in range(14)]
    pages = px.plan_slide("Short", bullets, "notes")
    assert [len(p.bullets) for p in pages] == [6, 6, 2]
    assert [p.title for p in pages] == ["Short", "Short (cont.)", "Short (cont.)"]
    assert [p.notes for p in pages] == ["notes", "", ""]

    long_bullets = ["word " * 40] * 6  # 200 chars: 3 estimated lines each
    pages = px.plan_slide("Lines", long_bullets, "")
    assert all(sum(px.bullet_lines(b) for b in p.bullets) <= px.MAX_LINES for p in pages)
    assert len(pages) == 2

    title = "A deliberately long title " * 6
    (page,) = px.plan_slide(title, ["x"], "n")
    assert len(page.title) <= px.TITLE_MAX_CHARS and page.title.endswith("…")
    assert title in page.extra_notes

    huge = "y" * (px.BULLET_MAX_CHARS + 50)
    (page,) = px.plan_slide("t", [huge], "")
    assert len(page.bullets[0]) <= px.BULLET_MAX_CHARS and huge in page.extra_notes


def test_overflowing_slide_becomes_continuation_slides_in_the_deck(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, slides=1)
        row = session.exec(select(SlideRow)).one()
        row.title = "Why validation comes first in every pipeline we build, and what happens when it does not"
        row.bullets = [
            f"Reason {i}: a bullet that is long enough to need a second line on the slide body"
            for i in range(9)
        ]
        row.notes = "Full speaker notes."
        session.add(row)
    slides = list(_deck(db, course_id).slides)
    assert len(slides) == 1 + 1 + 2
    first, cont = slides[2], slides[3]
    assert len(first.shapes.title.text) <= px.TITLE_MAX_CHARS and first.shapes.title.text.endswith("…")
    assert cont.shapes.title.text.endswith("(cont.)")
    first_bullets = first.placeholders[1].text_frame.paragraphs
    cont_bullets = cont.placeholders[1].text_frame.paragraphs
    assert len(first_bullets) <= px.MAX_BULLETS and len(first_bullets) + len(cont_bullets) == 9
    assert "Full speaker notes." in _notes(first) and row.title in _notes(first)


def test_markdown_in_bullets_becomes_formatting_not_symbols(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, slides=1)
        row = session.exec(select(SlideRow)).one()
        row.bullets = ["Use **pydantic** to check `rows` *early*"]
        session.add(row)
    paragraph = list(_deck(db, course_id).slides)[2].placeholders[1].text_frame.paragraphs[0]
    assert paragraph.text == "Use pydantic to check rows early"
    assert any(r.font.bold for r in paragraph.runs if r.text == "pydantic")


def test_uploaded_template_is_used_by_layout_name(db: str, tmp_path: Path) -> None:
    template = tmp_path / "team.pptx"
    team = Presentation()  # python-pptx's stock 4:3 template: same layout names
    team.slides.add_slide(team.slide_layouts[0]).shapes.title.text = "sample slide to be dropped"
    team.save(str(template))
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, slides=2)
    prs = _deck(db, course_id, template=template)
    assert prs.slide_width == team.slide_width and prs.slide_height == team.slide_height  # 4:3, not our 16:9
    assert len(prs.slides) == 1 + 1 + 2
    assert all(s.shapes.title.text != "sample slide to be dropped" for s in prs.slides)


def test_template_without_the_needed_layouts_is_refused_with_their_names(db: str, tmp_path: Path) -> None:
    template = tmp_path / "odd.pptx"
    odd = Presentation()
    for layout in odd.slide_layouts:
        if layout.name in ("Section Header", "Title and Content"):
            layout.name = f"Custom {layout.name}"
    odd.save(str(template))
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, slides=1)
    with pytest.raises(AppError) as info:
        _deck(db, course_id, template=template)
    assert info.value.details["missing_layouts"] == ["Section Header", "Title and Content"]
    assert "Section Header" in info.value.message and "Title and Content" in info.value.message
    assert "Custom Section Header" in info.value.details["available_layouts"]

    broken = tmp_path / "broken.pptx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(AppError, match="cannot be opened"):
        _deck(db, course_id, template=broken)


def test_default_template_has_the_named_layouts_and_is_widescreen() -> None:
    prs = Presentation(str(px.DEFAULT_TEMPLATE))
    names = [layout.name for layout in prs.slide_layouts]
    assert set(TITLES_EN) <= set(names)
    assert len(prs.slides) == 0
    assert round(prs.slide_width / prs.slide_height, 2) == 1.78


@pytest.mark.parametrize("language", ["en", "ru"])
def test_libreoffice_renders_one_page_per_slide(db: str, tmp_path: Path, language: str) -> None:
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        pytest.fail("LibreOffice and poppler are required: run scripts/system-deps.sh")
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=2, slides=3, language=language)
        row = session.exec(select(SlideRow)).first()
        row.bullets = [
            f"Reason {i}: a bullet long enough to wrap onto a second line of the slide body, twice"
            for i in range(8)
        ]
        session.add(row)
    with session_scope(db) as session:
        data, _, _ = export_course(session, course_id, "pptx", "full")
    deck = tmp_path / f"deck-{language}.pptx"
    deck.write_bytes(data)
    expected = len(Presentation(str(deck)).slides)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / f"deck-{language}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == expected
    out = OUTPUT / "pptx"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "5", str(pdf), str(out / f"deck-{language}")],
        check=True,
    )
    assert len(list(out.glob(f"deck-{language}-*.png"))) >= 5

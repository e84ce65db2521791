"""The accessibility report and the accessible Markdown rendering: pure functions."""

from __future__ import annotations

from itertools import pairwise

import lxml.html
import pytest

from core.exporters.a11y import (
    TemplateColours,
    accessibility_report,
    contrast_ratio,
    slide_titles,
)
from core.exporters.accessible import images, passage_language, render_accessible, render_inline_accessible
from core.exporters.document import (
    CourseExport,
    ExportCourse,
    ExportLesson,
    ExportModule,
    ExportQuizQuestion,
    ExportSlide,
)


def _doc(
    body: str = "Plain text.", *, slides: list[ExportSlide] | None = None, language: str = "en"
) -> CourseExport:
    lesson = ExportLesson(
        id=7,
        title="Cleaning tables",
        duration_minutes=10,
        body_md=body,
        quiz=[ExportQuizQuestion(question="Which first?", options=["Validate", "Publish"], answer_index=0)],
        slides=slides if slides is not None else [ExportSlide(title="Intro", bullets=["a"], notes="Say hi")],
    )
    module = ExportModule(id=3, title="Data", summary="About data.", lessons=[lesson])
    return CourseExport(
        profile="minimal", course=ExportCourse(id=1, title="Course", language=language, modules=[module])
    )


# ------------------------------------------------------------------ rendering


@pytest.mark.parametrize(
    ("markdown", "base", "levels"),
    [
        ("# A\n\n## B\n\n### C", 2, [2, 3, 4]),
        ("# A\n\n### B\n\n## C", 2, [2, 3, 3]),  # the skip h1 -> h3 is closed
        ("#### Deep\n\n###### Deeper", 2, [2, 3]),  # the shallowest becomes the base
        ("## A\n\n# B", 3, [3, 3]),
        ("# A\n\n## B\n\n### C\n\n#### D\n\n##### E\n\n###### F", 4, [4, 5, 6, 6, 6, 6]),
    ],
)
def test_headings_start_at_the_base_and_never_skip(markdown: str, base: int, levels: list[int]) -> None:
    html = render_accessible(markdown, base=base)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [int(h.tag[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")] == levels
    assert "<h1" not in html or base == 1


def test_passages_in_the_other_language_get_lang_and_code_does_not() -> None:
    html = render_accessible(
        "English paragraph here.\n\nРусский абзац здесь.\n\n- item\n- пункт списка\n\n"
        "| a | b |\n|---|---|\n| текст | x |\n\n```\nкод программы\n```\n\n`код` inline in English",
        language="en",
    )
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    marked = [(el.tag, el.get("lang")) for el in root.iter() if el.get("lang")]
    assert marked == [("p", "ru"), ("li", "ru"), ("td", "ru")]
    ru = render_accessible("Русский текст.\n\nAn English sentence in a Russian course.", language="ru")
    assert '<p lang="en">An English' in ru and '<p lang="ru">' not in ru


def test_words_in_the_other_script_inside_a_sentence_get_a_lang_span() -> None:
    ru = render_accessible("Используйте pandas для **чтения CSV files** быстро.", language="ru")
    assert ru == (
        '<p>Используйте <span lang="en">pandas</span> для <strong>чтения '
        '<span lang="en">CSV files</span></strong> быстро.</p>\n'
    )
    en = render_accessible("The term «чистые данные» means clean data. Да.", language="en")
    assert '«<span lang="ru">чистые данные</span>»' in en and "Да" in en and en.count("<span") == 1
    # a span typed by the author stays text: only the renderer's own spans exist
    typed = render_accessible('Text <span lang="xx" onclick="x()">hi</span> here', language="en")
    assert "<span" not in typed and "&lt;span" in typed


def test_inline_lines_get_a_lang_span_and_stay_sanitized() -> None:
    assert (
        str(render_inline_accessible("Очистка данных", language="en"))
        == '<span lang="ru">Очистка данных</span>'
    )
    assert str(render_inline_accessible("Cleaning", language="en")) == "Cleaning"
    risky = str(
        render_inline_accessible('Длинный русский заголовок <img src=x onerror="alert(1)">', language="en")
    )
    assert risky.startswith('<span lang="ru">') and "&lt;img" in risky and "<img" not in risky


@pytest.mark.parametrize(
    ("text", "course", "expected"),
    [
        ("Hello world", "en", None),
        ("Привет мир", "en", "ru"),
        ("Привет мир", "ru", None),
        ("Hello world", "ru", "en"),
        ("Hello world", "ru-RU", "en"),
        ("OK", "ru", None),  # too short to be a passage
        ("`print()` выводит текст", "en", "ru"),  # code spans do not count
        ("[документация](https://example.org/docs/page)", "en", "ru"),  # nor link targets
        ("Bonjour le monde", "fr", None),  # Latin in a Latin-script course: not knowable
    ],
)
def test_passage_language(text: str, course: str, expected: str | None) -> None:
    assert passage_language(text, course) == expected


def test_images_are_listed_with_their_alt_text() -> None:
    found = images("![A chart](a.png) and ![](b.png)\n\n```\n![not an image](c.png)\n```")
    assert [(i.src, i.alt) for i in found] == [("a.png", "A chart"), ("b.png", "")]


# ------------------------------------------------------------------ the report


def test_a_clean_course_passes_every_check_but_the_template_one() -> None:
    report = accessibility_report(_doc())
    assert report.ok and report.needs_author == [] and report.fixed == []
    assert "image_alt" in report.passed and "template_contrast" not in report.passed


def test_missing_alt_needs_the_author_and_points_at_the_lesson() -> None:
    report = accessibility_report(_doc("![](diagram.png)\n\n![Described](ok.png)"))
    assert not report.ok
    [finding] = report.needs_author
    assert finding.check == "image_alt" and finding.params["src"] == "diagram.png"
    assert (finding.node.kind, finding.node.id) == ("lesson", 7) if finding.node else False
    assert "image_alt" not in report.passed


def test_vague_link_text_needs_the_author() -> None:
    report = accessibility_report(
        _doc(
            "See [here](https://a.org), [https://b.org](https://b.org) and [the pandas docs](https://c.org)."
        )
    )
    assert [f.params["href"] for f in report.needs_author] == ["https://a.org", "https://b.org"]
    assert {f.check for f in report.needs_author} == {"link_text"}


def test_fixed_items_report_headings_and_language_without_blocking() -> None:
    report = accessibility_report(_doc("# Title again\n\n### Skipped\n\nРусский абзац текста."))
    assert report.ok
    assert sorted(f.check for f in report.fixed) == ["headings", "language"]


def test_slides_without_notes_or_title_and_duplicates() -> None:
    slides = [
        ExportSlide(title="Intro", bullets=["a"], notes="n"),
        ExportSlide(title="Intro", bullets=["b"], notes=""),
        ExportSlide(title="-", bullets=["c"], notes="n"),
    ]
    report = accessibility_report(_doc(slides=slides))
    assert [(f.check, f.params.get("slide")) for f in report.needs_author] == [
        ("slide_notes", "2"),
        ("slide_titles", "3"),
    ]
    assert [f.check for f in report.fixed] == ["slide_titles"]
    assert all(f.node and f.node.kind == "slides" for f in report.needs_author)


def test_unique_slide_titles_number_duplicates_only() -> None:
    assert slide_titles(["A", "B", "A", "A", "C"]) == ["A (1/3)", "B", "A (2/3)", "A (3/3)", "C"]
    assert slide_titles([]) == []


def test_template_contrast() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#777777") == contrast_ratio("#777777", "#ffffff")
    with pytest.raises(ValueError, match="rrggbb"):
        contrast_ratio("red", "#ffffff")
    colours = TemplateColours([("body", "#777777", "#ffffff"), ("title", "#1f2933", "#ffffff")])
    report = accessibility_report(_doc(), colours)
    [low] = report.needs_author
    assert low.check == "template_contrast" and low.params["ratio"] == "4.48" and low.node is None
    good = accessibility_report(_doc(), TemplateColours([("body", "#1f2933", "#ffffff")]))
    assert good.ok and "template_contrast" in good.passed


def test_quiz_question_with_one_option_needs_the_author() -> None:
    doc = _doc()
    doc.course.modules[0].lessons[0].quiz.append(
        ExportQuizQuestion(question="Only?", options=["Yes"], answer_index=0)
    )
    report = accessibility_report(doc)
    assert [(f.check, f.params["question"]) for f in report.needs_author] == [("quiz", "2")]


def test_every_site_page_has_one_h1_landmarks_and_a_labelled_quiz(db: str) -> None:
    """The static structure, page by page, without a browser (the axe tests add the rest)."""
    from core.db import session_scope
    from core.exporters import export_course
    from tests.a11y.course import make_a11y_course
    from tests.export_checks import unzip

    with session_scope(db) as session:
        course_id = make_a11y_course(session)
    with session_scope(db) as session:
        files = unzip(export_course(session, course_id, "html", "minimal")[0])
    for name in (n for n in files if n.endswith(".html")):
        root = lxml.html.fromstring(files[name])
        levels = [int(h.tag[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels.count(1) == 1 and levels[0] == 1, (name, levels)
        assert all(b <= a + 1 for a, b in pairwise(levels)), (name, levels)
        assert [len(root.xpath(f"//body/{tag}")) for tag in ("header", "main", "footer")] == [1, 1, 1], name
        for fieldset in root.xpath("//fieldset"):
            assert fieldset.xpath("./legend")[0].text_content().strip()
            for radio in fieldset.xpath(".//input[@type='radio']"):
                assert root.xpath(f"//label[@for='{radio.get('id')}']"), radio.get("id")
        for img in root.xpath("//img"):
            assert img.get("alt"), name
    lesson = lxml.html.fromstring(files["lesson-01-01.html"])
    assert lesson.xpath("//h1/span[@lang='ru']")  # the Russian lesson title in an English course
    feedback = lesson.xpath("//p[@class='feedback']")
    assert feedback and all(p.get("role") == "status" and p.get("aria-live") == "polite" for p in feedback)
    assert lesson.xpath("//button[@class='quiz-check' and @type='button']")

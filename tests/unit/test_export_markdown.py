"""Markdown / MDX export: one file per lesson with front matter, and an index."""

from __future__ import annotations

import re

import pytest
import yaml
from sqlmodel import select

from core.db import session_scope
from core.exporters import export_course
from core.exporters.markdown import escape_mdx, slug
from tests.export_checks import unzip
from tests.factories import make_course


def _front_matter(text: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, text[:200]
    return yaml.safe_load(match.group(1))


def _files(db: str, course_id: int, fmt: str = "md", profile: str = "minimal") -> dict[str, str]:
    with session_scope(db) as session:
        data, name, _ = export_course(session, course_id, fmt, profile)
    assert name.endswith(f".{fmt}.zip")
    return {k: v.decode("utf-8") for k, v in unzip(data).items()}


def test_one_file_per_lesson_with_front_matter_and_an_index(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=2, lessons=3)
    files = _files(db, course_id)
    lessons = sorted(n for n in files if n != "index.md")
    assert len(lessons) == 6 and all(n.endswith(".md") for n in lessons)
    assert lessons[0] == "01-working-with-data-part-1/01-cleaning-and-shaping-tables-1-1.md"
    fm = _front_matter(files[lessons[0]])
    assert fm["title"] == "Cleaning and shaping tables 1.1"
    assert fm["module"] == "Working with data, part 1"
    assert fm["duration_minutes"] == 15
    assert fm["objectives"] == [
        "Explain step 1 of the workflow",
        "Explain step 2 of the workflow",
        "Explain step 3 of the workflow",
    ]
    assert "meta" not in fm
    body = files[lessons[0]]
    for heading in ("## Key points", "## Exercises", "## Quiz", "## Slides", "```python"):
        assert heading in body
    assert "   - [x] Validate the input" in body
    index = files["index.md"]
    for name in lessons:
        assert f"(<{name}>)" in index


def test_full_profile_puts_provenance_in_front_matter_and_russian_survives(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, language="ru")
    files = _files(db, course_id, profile="full")
    (name,) = [n for n in files if n != "index.md"]
    # Cyrillic titles are transliterated: the file names stay readable (issue 12).
    assert name == "01-rabota-s-dannymi-chast-1/01-ochistka-i-preobrazovanie-tablits-1-1.md"
    fm = _front_matter(files[name])
    assert fm["meta"]["prompt_id"] == "lesson_detail" and fm["slides_meta"]["model"] == "gpt-4.1-mini"
    assert fm["title"] == "Очистка и преобразование таблиц 1.1"
    assert "Идея 1: проверяйте входные данные до преобразования 🚀" in files[name]
    assert _front_matter(files["index.md"])["totals"]["cost_usd"] > 0


def test_mdx_escapes_jsx_outside_code() -> None:
    text = "Use <Tabs> and {props}\n\n`<kept>` and {x}\n\n```jsx\n<App {...p} />\n```\nafter {y}"
    assert escape_mdx(text) == (
        "Use \\<Tabs> and \\{props\\}\n\n`<kept>` and \\{x\\}\n\n```jsx\n<App {...p} />\n```\nafter \\{y\\}"
    )


def test_mdx_export_uses_mdx_files(db: str) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1, body_md="Hello <World/> {1+1}")
    files = _files(db, course_id, "mdx")
    (name,) = [n for n in files if n != "index.mdx"]
    assert name.endswith(".mdx") and "Hello \\<World/> \\{1+1\\}" in files[name]


def test_slug_is_ascii_and_short() -> None:
    assert slug("Déjà vu: Ünïcode & more!") == "deja-vu-unicode-more"
    assert slug("Привет, щука и ёж") == "privet-shchuka-i-ezh"


@pytest.mark.parametrize(
    "hostile",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript&#58;alert(1))",
        "![img](data:image/svg+xml;base64,PHN2Zz4=)",
        "<javascript:alert(1)>",
        "[ref]\n\n[ref]: javascript:alert(1)",
        '<a href="javascript:alert(1)">x</a>',
        "[v](vbscript:msgbox)",
    ],
)
def test_markdown_and_mdx_neutralise_script_and_data_links(db: str, hostile: str) -> None:
    from core.models import Lesson

    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1)
        lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id)).one()
        lesson.body_md = f"Intro.\n\n{hostile}\n\n[fine](https://example.org/page)\n"
        session.add(lesson)
    for fmt in ("md", "mdx"):
        files = _files(db, course_id, fmt=fmt)
        body = "\n".join(text for name, text in files.items() if name != "index.md")
        lowered = body.lower().replace(" ", "")
        for scheme in ("javascript:", "javascript&#58;", "vbscript:", "data:image"):
            assert scheme not in lowered, (fmt, hostile, body)
        assert "https://example.org/page" in body

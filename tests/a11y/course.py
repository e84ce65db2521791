"""The course every accessibility test exports: a table, code, images, a quiz, and Russian
passages inside an English course (and an English one inside a Russian course)."""

from __future__ import annotations

import struct
import zlib

from sqlmodel import Session, select

from core.models import Lesson, SlideRow
from tests.factories import make_course

BODY_EN = (
    "# Cleaning data\n\nClean data makes every later step cheaper.\n\n"
    "### A table of steps\n\n"
    "| Step | Tool | Time |\n|:-----|:----:|-----:|\n| Read | pandas | 2 min |\n| Check | pydantic | 5 min |\n\n"
    "```python\nimport pandas as pd\nframe = pd.read_csv('data.csv')\n```\n\n"
    "![Bar chart of rows fixed per step](chart.png)\n\n"
    "Чистые данные удешевляют каждый следующий шаг анализа.\n\n"
    "- Read the file\n- Проверить столбцы таблицы\n\n"
    "#### Further reading\n\nSee [the pandas docs](https://pandas.pydata.org/docs/)."
)
BODY_RU = (
    "## Зачем это нужно\n\nЧистые данные удешевляют каждый следующий шаг.\n\n"
    "| Шаг | Инструмент |\n|---|---|\n| Чтение | pandas |\n\n"
    "```sql\nSELECT имя, count(*) FROM таблица GROUP BY имя;\n```\n\n"
    "![Схема конвейера данных](pipeline.png)\n\n"
    "Clean data makes every later step cheaper.\n"
)


def make_a11y_course(session: Session, *, language: str = "en", missing_alt: bool = False) -> int:
    body = BODY_EN if language == "en" else BODY_RU
    if missing_alt:
        body += "\n\n![](photo.png)\n"
    course_id = make_course(session, modules=2, lessons=2, slides=2, language=language, body_md=body)
    other = "Очистка данных: практика" if language == "en" else "Data cleaning in practice"
    lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.id)).first()
    assert lesson is not None
    lesson.title = other
    session.add(lesson)
    slide = session.exec(
        select(SlideRow).where(SlideRow.lesson_id == lesson.id).order_by(SlideRow.id)
    ).first()
    assert slide is not None
    slide.bullets = [
        *slide.bullets,
        "Проверить столбцы таблицы" if language == "en" else "Check the table columns",
    ]
    session.add(slide)
    session.flush()
    return course_id


def png_1px() -> bytes:
    """A valid one-pixel grey PNG, built here so no binary fixture is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )

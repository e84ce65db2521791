"""Test and benchmark data: a complete, generated-looking course tree in one call.

Rows are inserted directly (not through the generation services) so a 10x10x6 course
takes well under a second; every module, lesson and slide deck still gets a `generated`
revision with full provenance, exactly what the exporters read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from core.models import Course, CourseStep, Lesson, Module, NodeType, SlideRow
from core.provenance import Provenance
from core.services.revisions import add_revision, lesson_content, module_content

_TEXT = {
    "en": {
        "module": "Working with data, part {m}",
        "lesson": "Cleaning and shaping tables {m}.{n}",
        "objective": "Explain step {i} of the workflow",
        "key": "Key idea {i}: check your inputs before you transform them",
        "bullet": "Point {i}: validate the schema, then transform the rows",
        "slide": "Slide {s}: what changes and why",
        "notes": "Speak to the example; ask the group where they have seen this problem before.",
        "summary": "A practical module about reading, cleaning and reshaping data.",
        "exercise": "Practice {i}",
        "instructions": "Load the sample file, fix the broken rows and compare your totals with a partner.",
        "question": "Which step comes first in question {i}?",
        "options": ["Validate the input", "Publish the report", "Delete the backup"],
        "body": (
            "## Why it matters\n\nClean data makes every later step cheaper. This lesson walks "
            "through a **repeatable** routine with a short example.\n\n"
            "1. Read the file\n2. Check the columns\n3. Fix the rows\n\n"
            "| Step | Tool | Time |\n|:-----|:----:|-----:|\n| Read | pandas | 2 min |\n| Check | pydantic | 5 min |\n\n"
            "```python\nimport pandas as pd\nframe = pd.read_csv('data.csv')\nprint(frame.describe())\n```\n\n"
            "> Tip: keep the raw file untouched and write results to a new one.\n\n"
            "See [the pandas docs](https://pandas.pydata.org/docs/) for more."
        ),
    },
    "ru": {
        "module": "Работа с данными, часть {m}",
        "lesson": "Очистка и преобразование таблиц {m}.{n}",
        "objective": "Объяснить шаг {i} процесса",
        "key": "Идея {i}: проверяйте входные данные до преобразования 🚀",
        "bullet": "Пункт {i}: сначала схема, затем строки — «ёлочки» и эмодзи ✅",
        "slide": "Слайд {s}: что меняется и почему",
        "notes": "Разберите пример; спросите группу, где они встречали эту проблему. Ёжик 🦔.",
        "summary": "Практический модуль о чтении, очистке и преобразовании данных.",
        "exercise": "Практика {i}",
        "instructions": "Загрузите файл, исправьте строки и сравните итоги с коллегой.",
        "question": "Какой шаг идёт первым в вопросе {i}?",
        "options": ["Проверить вход", "Опубликовать отчёт", "Удалить резервную копию"],
        "body": (
            "## Зачем это нужно\n\nЧистые данные удешевляют каждый следующий шаг. Ёлка, щука, "
            "эмодзи 🎓✨ и «кавычки».\n\n"
            "- Прочитать файл\n- Проверить столбцы\n- Исправить строки\n\n"
            "| Шаг | Инструмент | Время |\n|---|---|---|\n| Чтение | pandas | 2 мин |\n| Проверка | pydantic | 5 мин |\n\n"
            "```sql\nSELECT имя, count(*) FROM таблица GROUP BY имя;\n```\n\n"
            "Подробнее: [документация](https://example.org/docs)."
        ),
    },
}

PROVENANCE = {
    NodeType.module: ("outline", "1.2.0"),
    NodeType.lesson: ("lesson_detail", "2.0.1"),
    NodeType.slides: ("slides", "1.4.0"),
}


def _prov(node_type: NodeType, tokens: int) -> Provenance:
    prompt_id, version = PROVENANCE[node_type]
    return Provenance(
        prompt_id=prompt_id,
        prompt_version=version,
        prompt_checksum=f"sha256:{prompt_id}-{version}",
        model="gpt-4.1-mini",
        parameters={"temperature": 0.4},
        input_tokens=tokens,
        output_tokens=tokens * 2,
        cost_usd=round(tokens * 0.000002, 6),
    )


def make_course(
    session: Session,
    *,
    modules: int = 3,
    lessons: int = 3,
    slides: int = 4,
    language: str = "en",
    title: str = "Data cleaning for analysts",
    body_md: str | None = None,
) -> int:
    """Insert a finished course tree and return its id; the caller owns the transaction."""
    text = _TEXT.get(language, _TEXT["en"])
    course = Course(
        title=title,
        language=language,
        summary=text["summary"],
        step=CourseStep.export,
        params={
            "topic": title,
            "audience": "analysts",
            "level": "beginner",
            "total_duration_minutes": max(15, modules * lessons * 15),
            "language": language if language in ("en", "ru") else "en",
            "module_count": modules,
            "lessons_per_module": lessons,
            "tone": "neutral",
            "constraints": "",
        },
    )
    session.add(course)
    session.flush()
    course_id = int(course.id or 0)

    module_rows = [
        Module(
            course_id=course_id,
            position=m,
            title=text["module"].format(m=m + 1),
            summary=text["summary"],
            objectives=[text["objective"].format(i=i + 1) for i in range(3)],
        )
        for m in range(modules)
    ]
    session.add_all(module_rows)
    session.flush()

    lesson_rows: list[Lesson] = []
    for m, module in enumerate(module_rows):
        for n in range(lessons):
            lesson_rows.append(
                Lesson(
                    course_id=course_id,
                    module_id=int(module.id or 0),
                    position=n,
                    title=text["lesson"].format(m=m + 1, n=n + 1),
                    objectives=[text["objective"].format(i=i + 1) for i in range(3)],
                    duration_minutes=15,
                    body_md=body_md if body_md is not None else text["body"],
                    key_points=[text["key"].format(i=i + 1) for i in range(3)],
                    exercises=[{"title": text["exercise"].format(i=1), "instructions": text["instructions"]}],
                    quiz=[
                        {
                            "question": text["question"].format(i=i + 1),
                            "options": list(text["options"]),
                            "answer_index": 0,
                            "explanation": text["key"].format(i=i + 1),
                        }
                        for i in range(2)
                    ],
                    detail_status="generated",
                    slides_status="generated",
                )
            )
    session.add_all(lesson_rows)
    session.flush()

    session.add_all(
        SlideRow(
            lesson_id=int(lesson.id or 0),
            position=s,
            title=text["slide"].format(s=s + 1),
            bullets=[text["bullet"].format(i=i + 1) for i in range(4)],
            notes=text["notes"],
        )
        for lesson in lesson_rows
        for s in range(slides)
    )

    for module in module_rows:
        rev = add_revision(
            session, course_id=course_id, node_type=NodeType.module, node_id=int(module.id or 0),
            content=module_content(module), provenance=_prov(NodeType.module, 400),
        )  # fmt: skip
        module.current_revision_id = rev.id
    for lesson in lesson_rows:
        rev = add_revision(
            session, course_id=course_id, node_type=NodeType.lesson, node_id=int(lesson.id or 0),
            content=lesson_content(lesson), provenance=_prov(NodeType.lesson, 1200),
        )  # fmt: skip
        lesson.current_revision_id = rev.id
        deck: dict[str, Any] = {
            "slides": [
                {"title": text["slide"].format(s=s + 1), "bullets": [text["bullet"].format(i=i + 1) for i in range(4)],
                 "notes": text["notes"]}
                for s in range(slides)
            ]
        }  # fmt: skip
        rev = add_revision(
            session, course_id=course_id, node_type=NodeType.slides, node_id=int(lesson.id or 0),
            content=deck, provenance=_prov(NodeType.slides, 800),
        )  # fmt: skip
        lesson.slides_revision_id = rev.id
    session.add_all([*module_rows, *lesson_rows])
    session.flush()
    return course_id


def first_prompt_versions(folder: Path) -> Path:
    """A private copy of prompts/ with only the first published version of each prompt,
    for tests that write versions 1.1.0 and up (tests never write into prompts/)."""
    import shutil

    from core.prompts import PROMPTS_DIR

    shutil.copytree(PROMPTS_DIR, folder)
    for later in folder.glob("*/*.yaml"):
        if later.name != "1.0.0.yaml":
            later.unlink()
    ids = sorted(d.name for d in folder.iterdir() if d.is_dir())
    (folder / "labels.yaml").write_text(
        "".join(f'{i}: {{production: "1.0.0", staging: "1.0.0"}}\n' for i in ids), encoding="utf-8"
    )
    return folder

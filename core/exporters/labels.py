"""Fixed words the exports add around model text, in the course language."""

from __future__ import annotations

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents",
        "module": "Module",
        "lesson": "Lesson",
        # "Lessons: 3" reads right for any count; "3 lessons" needs plural rules per language.
        "facts": "Modules: {modules} · Lessons: {lessons} · {minutes} min",
        "module_facts": "Lessons: {lessons} · {minutes} min",
        "min": "min",
        "duration": "Duration",
        "objectives": "Objectives",
        "key_points": "Key points",
        "exercises": "Exercises",
        "quiz": "Quiz",
        "answer": "Answer",
        "slides": "Slides",
        "notes": "Notes",
        "previous": "Previous",
        "next": "Next",
        "home": "Course home",
        "skip": "Skip to content",
        "continued": "cont.",
        "provenance": "Provenance",
        "course_totals": "Generation totals",
        # issue 19: accessibility
        "breadcrumb": "Breadcrumb",
        "pages": "Pages",
        "question": "Question {n}",
        "check": "Check answer",
        "show_answer": "Show answer",
        "quiz_correct": "Correct.",
        "quiz_wrong": "Not quite: the right answer is {letter}.",
        "quiz_choose": "Choose an answer first.",
        "sources": "Sources",  # issue-17
        "page": "p.",
    },
    "ru": {
        "contents": "Содержание",
        "module": "Модуль",
        "lesson": "Урок",
        "facts": "Модулей: {modules} · Уроков: {lessons} · {minutes} мин",
        "module_facts": "Уроков: {lessons} · {minutes} мин",
        "min": "мин",
        "duration": "Длительность",
        "objectives": "Цели",
        "key_points": "Ключевые моменты",
        "exercises": "Упражнения",
        "quiz": "Тест",
        "answer": "Ответ",
        "slides": "Слайды",
        "notes": "Заметки",
        "previous": "Назад",
        "next": "Далее",
        "home": "К курсу",
        "skip": "Перейти к содержанию",
        "continued": "продолж.",
        "provenance": "Происхождение",
        "course_totals": "Итоги генерации",
        # issue 19: accessibility
        "breadcrumb": "Навигационная цепочка",
        "pages": "Страницы",
        "question": "Вопрос {n}",
        "check": "Проверить ответ",
        "show_answer": "Показать ответ",
        "quiz_correct": "Верно.",
        "quiz_wrong": "Не совсем: правильный ответ — {letter}.",
        "quiz_choose": "Сначала выберите ответ.",
        "sources": "Источники",  # issue-17
        "page": "с.",
    },
}


def labels(language: str) -> dict[str, str]:
    """Labels for a course language; unknown languages read English."""
    return _LABELS.get((language or "en").split("-")[0].lower(), _LABELS["en"])

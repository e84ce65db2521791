"""Content scores see quality (issue 13): each drops when the content breaks its rule, and
what cannot be measured is None, never 1.0."""

from __future__ import annotations

from core.llm.providers.offline import build_lesson
from core.services import content_scores as cs

OBJECTIVES = ["Profile the columns of a table", "Remove duplicate customer rows"]
BODY = (
    "# Cleaning\n\nFirst you profile the columns of a table: types, gaps and odd values. "
    "Then you remove duplicate customer rows with a key you trust. "
) * 6


def _quiz(answers: list[int], tie: bool = True) -> list[dict]:
    return [
        {
            "question": "Which step comes first?" if tie else "What is the weather like?",
            "options": ["a", "b", "c", "d"],
            "answer_index": a,
            "objective": OBJECTIVES[i % 2] if tie else "",
        }
        for i, a in enumerate(answers)
    ]


def test_objective_coverage_needs_the_body_and_a_question() -> None:
    full = cs.objective_coverage({"body_md": BODY, "quiz": _quiz([0, 1])}, OBJECTIVES, "en")
    unchecked = cs.objective_coverage({"body_md": BODY, "quiz": _quiz([0, 1], tie=False)}, OBJECTIVES, "en")
    absent = cs.objective_coverage({"body_md": "Nothing relevant here.", "quiz": []}, OBJECTIVES, "en")
    assert full["score"] == 1.0 and unchecked["score"] == 0.5 and absent["score"] == 0.0
    assert cs.objective_coverage({"body_md": BODY}, [], "en")["score"] is None


def test_overlap_catches_lessons_that_repeat_each_other() -> None:
    other = "Joins combine two tables on a key; check the row counts before and after every join."
    assert cs.overlap([BODY, BODY])["score"] == 0.0
    assert cs.overlap([BODY, other * 3])["score"] > 0.9
    assert cs.overlap([BODY])["score"] is None


def test_reading_level_prefers_plain_text_for_beginners_in_both_languages() -> None:
    plain_en = "Look at the data. Find the gaps. Fix one thing at a time. Check it again. " * 4
    dense_en = (
        "Comprehensive characterisation of heterogeneous tabular datasets necessitates systematic "
        "identification of inconsistencies, irregularities and anomalous observations, "
    ) * 4
    plain_ru = "Посмотрите на данные. Найдите пропуски. Исправьте одно. Проверьте снова. " * 4
    dense_ru = (
        "Всесторонняя характеризация неоднородных табличных наборов данных предполагает "
        "систематическую идентификацию несоответствий, нерегулярностей и аномальных наблюдений, "
    ) * 4
    for lang, plain, dense in (("en", plain_en, dense_en), ("ru", plain_ru, dense_ru)):
        easy = cs.reading_level(plain, lang, "beginner")
        hard = cs.reading_level(dense, lang, "beginner")
        assert easy["score"] > hard["score"], (lang, easy, hard)
        assert hard["score"] == 0.0
    assert cs.reading_level("Too short.", "en", "beginner")["score"] is None


def test_answer_balance_and_length_fit() -> None:
    assert cs.answer_balance(_quiz([0, 0, 0, 0]))["score"] == 0.0
    assert cs.answer_balance(_quiz([0, 1, 2, 3]))["score"] == 1.0
    assert 0 < cs.answer_balance(_quiz([0, 0, 1, 2]))["score"] < 1
    assert cs.answer_balance(_quiz([2]))["score"] is None
    words = " ".join(["word"] * 900)  # 10 minutes at 180 wpm, half of it reading
    assert cs.length_fit(words, 10, "en")["score"] == 1.0
    assert cs.length_fit(words, 40, "en")["score"] == 0.25


def test_offline_content_is_scored_honestly_and_the_judge_is_not_measured() -> None:
    lessons = []
    for i, title in enumerate(["Profiling tables", "Removing duplicates", "Joining tables"]):
        variables = {"topic": "data cleaning", "lesson_title": title, "objectives": OBJECTIVES,
                     "duration_minutes": 20 + 10 * i, "language": "en"}  # fmt: skip
        lessons.append({"content": build_lesson(variables), "objectives": OBJECTIVES, "minutes": 20 + 10 * i})
    report = cs.score_course(lessons, lang="en", level="beginner", provider="offline")
    scores = report["scores"]
    assert scores["judge"] is None and "not measured" in report["judge"]["reason"]
    measured = {k: v for k, v in scores.items() if v is not None}
    assert set(measured) == {"objective_coverage", "reading_level", "answer_balance", "length_fit", "overlap"}
    assert all(0.0 <= v <= 1.0 for v in measured.values())
    # Template text shares phrases between lessons: the overlap score says so.
    assert scores["overlap"] < 1.0
    assert any(v < 1.0 for v in measured.values())

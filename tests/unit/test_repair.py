"""Deterministic repairs before validation (issue 8): durations, titles; not quiz answers."""

from __future__ import annotations

import json

import pytest

from core.llm.gateway import parse_and_repair
from core.llm.repair import repair_module_durations, repair_outline_durations, rescale
from core.schemas import CourseParams, LessonDetail, Outline, SlideDeck, outline_problems
from core.text import shorten


@pytest.mark.parametrize(
    ("durations", "total", "expected"),
    [
        ([800] * 6, 120, [20] * 6),  # 20x the total
        ([1, 1, 1000], 60, [5, 5, 50]),  # no lesson under the 5-minute floor
        ([10, 20, 30], 61, [10, 20, 31]),  # the leftover minute to the largest remainder
        ([7, 7, 7], 20, [7, 7, 6]),  # ties go to earlier lessons
        ([0, 0], 30, [15, 15]),  # nonsense weights count as equal
    ],
)
def test_rescale_hits_the_total_in_whole_minutes(durations, total, expected) -> None:
    result = rescale(durations, total)
    assert result == expected
    assert sum(result) == total and all(isinstance(m, int) and m >= 5 for m in result)
    assert rescale(durations, total) == result  # deterministic


def _outline(durations: list[list[int]], title: str = "Negotiation basics") -> dict:
    return {
        "title": title,
        "summary": "",
        "modules": [
            {
                "title": f"Module {m}",
                "summary": "",
                "objectives": ["Learn"],
                "lessons": [
                    {"title": f"Lesson {m}.{i}", "objectives": ["Do"], "duration_minutes": d}
                    for i, d in enumerate(mins)
                ],
            }
            for m, mins in enumerate(durations)
        ],
    }


def test_outline_durations_twenty_times_the_total_are_rescaled_and_recorded() -> None:
    params = CourseParams(
        topic="Negotiation", module_count=2, lessons_per_module=3, total_duration_minutes=120
    )
    text = json.dumps(_outline([[400, 400, 400], [400, 400, 400]]))
    value, problems, repairs = parse_and_repair(
        text,
        Outline,
        lambda o: outline_problems(o, params),
        lambda data: repair_outline_durations(data, 120),
    )
    assert problems == [] and value is not None
    assert value.duration_minutes == 120
    (repair,) = repairs
    assert repair.reason.startswith("durations rescaled") and "2400" in repair.reason
    assert repair.before == [400] * 6 and repair.after == [20] * 6


def test_durations_within_tolerance_are_left_alone() -> None:
    data = _outline([[20, 20, 21]])
    assert repair_outline_durations(data, 60) == []
    assert [lsn["duration_minutes"] for lsn in data["modules"][0]["lessons"]] == [20, 20, 21]


def test_module_keeps_exactly_its_minutes() -> None:
    module = _outline([[10, 10, 11]])["modules"][0]
    (repair,) = repair_module_durations(module, 30)
    assert [lsn["duration_minutes"] for lsn in module["lessons"]] == [10, 10, 10] and repair.after == [
        10,
        10,
        10,
    ]


def test_long_titles_are_shortened_and_the_full_text_kept() -> None:
    long = "A remarkably thorough and very long title for a slide about negotiation " * 3
    deck = {
        "slides": [
            {"title": long, "bullets": ["One"], "notes": "Say hi."},
            {"title": "Ok", "bullets": ["Two"], "notes": ""},
        ]
    }
    value, problems, repairs = parse_and_repair(json.dumps(deck), SlideDeck)
    assert problems == [] and value is not None
    slide = value.slides[0]
    assert len(slide.title) <= 90 and slide.title.endswith("…")
    assert long.strip() in slide.notes and slide.notes.startswith("Say hi.")
    (repair,) = repairs
    assert repair.path == "slides.0.title" and repair.before == long and repair.after == slide.title


def test_long_outline_title_goes_to_the_summary() -> None:
    long = "Negotiation " * 20
    value, _problems, repairs = parse_and_repair(json.dumps(_outline([[20]], title=long)), Outline)
    assert value is not None and len(value.title) <= 120
    assert long.strip() in value.summary and repairs[0].path == "title"


def test_quiz_answer_out_of_range_is_not_repaired_but_reported() -> None:
    detail = {
        "body_md": "x" * 250,
        "key_points": ["a", "b", "c"],
        "exercises": [{"title": "Try", "instructions": "Do the thing carefully."}],
        "quiz": [
            {"question": "Which one?", "options": ["a", "b"], "answer_index": 5, "explanation": ""},
            {"question": "Which two?", "options": ["a", "b"], "answer_index": 0, "explanation": ""},
        ],
    }
    value, problems, repairs = parse_and_repair(json.dumps(detail), LessonDetail)
    assert value is None and repairs == []
    assert any("answer_index 5 is outside the 2 options" in p for p in problems)


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("one two three four", 12) == "one two…"

"""Content scores of written lessons (issue 13): what the structural checks cannot see.

Each score is 0..1, higher is better, and measures the text itself, so a lesson that drops a
rule (an objective nobody checks, every right answer in first place, a 2-minute text for a
30-minute lesson) scores lower whichever provider wrote it. A score that cannot be measured
is None with the reason beside it, never 1.0.

- objective_coverage: each objective is addressed in the body and checked by a question;
- overlap: 1 - the largest word-trigram similarity between two lessons of one course;
- reading_level: Flesch reading ease (English) or Oborneva's Russian adaptation, against
  the band the course level asks for;
- answer_balance: how evenly the right answers spread over the option positions;
- length_fit: body words against the minutes at READING_WPM, READING_SHARE of the lesson
  being reading (the rest is exercises and the quiz);
- judge: an LLM-judge rubric score; only a real provider measures it.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from typing import Any

# Words a learner reads per minute in study (slower than leisure reading).
READING_WPM = {"en": 180, "ru": 150}
READING_SHARE = 0.5
# Reading ease from which a text suits the level (Flesch: 60+ plain, 50 fairly hard, 30 hard).
EASE_TARGET = {"beginner": 60.0, "intermediate": 50.0, "advanced": 30.0}
EASE_BAND = 30.0  # this far below the target scores 0
# Flesch (1948) and Oborneva (2006) constants: sentence length and syllables per word.
EASE_FORMULA = {"en": (206.835, 1.015, 84.6), "ru": (206.835, 1.3, 60.1)}
PROVIDERS_WITH_JUDGE = ("openai",)

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s|$)|\n\s*\n|\n\s*[-*#]|\n\s*\d+[.)]\s")
_VOWELS = {"en": "aeiouy", "ru": "аеёиоуыэюя"}
_STOP = {
    "en": set(
        [
            "the",
            "a",
            "an",
            "and",
            "or",
            "of",
            "to",
            "in",
            "on",
            "for",
            "with",
            "from",
            "by",
            "is",
            "are",
            "be",
            "this",
            "that",
            "your",
            "you",
            "it",
            "as",
            "at",
            "how",
            "what",
        ]
    ),
    "ru": set(
        [
            "и",
            "в",
            "во",
            "на",
            "с",
            "со",
            "по",
            "для",
            "из",
            "от",
            "до",
            "как",
            "что",
            "это",
            "или",
            "не",
            "а",
            "но",
            "к",
            "ко",
            "у",
            "о",
            "об",
            "при",
            "за",
        ]
    ),
}


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _stem(word: str, lang: str) -> str:
    # A crude prefix stem: enough to match "profile"/"profiling", "таблица"/"таблицы".
    return word[:5] if lang == "ru" else word[:6]


def _stems(text: str, lang: str) -> set[str]:
    stop = _STOP.get(lang, set())
    return {_stem(w, lang) for w in _words(text) if len(w) > 3 and w not in stop}


def _covers(objective: str, text_stems: set[str], lang: str) -> bool:
    wanted = _stems(objective, lang)
    return bool(wanted) and len(wanted & text_stems) / len(wanted) >= 0.5


def objective_coverage(lesson: dict[str, Any], objectives: list[str], lang: str) -> dict[str, Any]:
    """Half a point for an objective the body addresses, half for one a question checks."""
    if not objectives:
        return {"score": None, "reason": "the lesson has no objectives"}
    body = _stems(str(lesson.get("body_md") or ""), lang)
    quiz = lesson.get("quiz") or []
    rows: list[dict[str, Any]] = []
    for objective in objectives:
        addressed = _covers(objective, body, lang)
        checked = any(
            str(q.get("objective") or "").strip().casefold() == objective.strip().casefold()
            or _covers(
                objective, _stems(" ".join([str(q.get("question", "")), *q.get("options", [])]), lang), lang
            )
            for q in quiz
        )
        rows.append({"objective": objective, "addressed": addressed, "checked": checked})
    score = sum(r["addressed"] * 0.5 + r["checked"] * 0.5 for r in rows) / len(rows)
    return {"score": round(score, 4), "objectives": rows}


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1))}


def overlap(bodies: list[str]) -> dict[str, Any]:
    """1 - the largest Jaccard similarity of word trigrams between any two lessons."""
    if len(bodies) < 2:
        return {"score": None, "reason": "fewer than two lessons"}
    sets = [_shingles(b) for b in bodies]
    worst, pair = 0.0, (0, 0)
    for (i, a), (j, b) in combinations(enumerate(sets), 2):
        if a and b:
            similarity = len(a & b) / len(a | b)
            if similarity > worst:
                worst, pair = similarity, (i, j)
    return {"score": round(1 - worst, 4), "max_similarity": round(worst, 4), "pair": list(pair)}


def _syllables(word: str, lang: str) -> int:
    vowels = _VOWELS.get(lang, _VOWELS["en"])
    groups = re.findall(f"[{vowels}]+", word.lower())
    count = len(groups)
    if lang == "en" and word.lower().endswith("e") and count > 1:
        count -= 1  # a silent final e
    return max(1, count)


def reading_ease(text: str, lang: str) -> float | None:
    plain = re.sub(r"```.*?```|`[^`]*`|\|.*\|", " ", text, flags=re.S)  # code and tables are not prose
    words = _words(plain)
    if len(words) < 20:
        return None
    sentences = max(1, len([s for s in _SENTENCE_END.split(plain) if _words(s)]))
    base, per_sentence, per_syllable = EASE_FORMULA.get(lang, EASE_FORMULA["en"])
    syllables = sum(_syllables(w, lang) for w in words)
    return base - per_sentence * len(words) / sentences - per_syllable * syllables / len(words)


def reading_level(text: str, lang: str, level: str) -> dict[str, Any]:
    ease = reading_ease(text, lang)
    if ease is None:
        return {"score": None, "reason": "under 20 words of prose"}
    target = EASE_TARGET.get(level, EASE_TARGET["intermediate"])
    score = min(1.0, max(0.0, (ease - (target - EASE_BAND)) / EASE_BAND))
    return {"score": round(score, 4), "ease": round(ease, 1), "target": target}


def answer_balance(quiz: list[dict[str, Any]]) -> dict[str, Any]:
    """1 when right answers spread evenly over positions, 0 when they always sit in one."""
    if len(quiz) < 2:
        return {"score": None, "reason": "fewer than two questions"}
    positions = Counter(int(q.get("answer_index", 0)) for q in quiz)
    k = max(2, min(len(quiz), round(sum(len(q.get("options") or []) for q in quiz) / len(quiz))))
    top = max(positions.values()) / len(quiz)
    even = 1 / k
    score = 1 - (top - even) / (1 - even)
    return {"score": round(max(0.0, min(1.0, score)), 4), "positions": dict(sorted(positions.items()))}


def body_words(minutes: int, lang: str) -> int:
    """How long a lesson body should be: what the lesson prompt asks for and length_fit checks."""
    return round(max(1, minutes) * READING_WPM.get(lang, READING_WPM["en"]) * READING_SHARE)


def length_fit(body: str, minutes: int, lang: str) -> dict[str, Any]:
    target = body_words(minutes, lang)
    words = len(_words(body))
    if not words:
        return {"score": 0.0, "words": 0, "target_words": round(target)}
    return {
        "score": round(min(words / target, target / words), 4),
        "words": words,
        "target_words": round(target),
    }


def judge(provider: str) -> dict[str, Any]:
    """The LLM-judge score is not computed offline: reported as not measured, never 1.0."""
    if provider not in PROVIDERS_WITH_JUDGE:
        return {"score": None, "reason": f"not measured: the {provider} provider cannot judge"}
    return {"score": None, "reason": "not measured in this run"}


def score_lesson(
    lesson: dict[str, Any], *, objectives: list[str], minutes: int, lang: str, level: str
) -> dict[str, dict[str, Any]]:
    return {
        "objective_coverage": objective_coverage(lesson, objectives, lang),
        "reading_level": reading_level(str(lesson.get("body_md") or ""), lang, level),
        "answer_balance": answer_balance(list(lesson.get("quiz") or [])),
        "length_fit": length_fit(str(lesson.get("body_md") or ""), minutes, lang),
    }


def score_course(lessons: list[dict[str, Any]], *, lang: str, level: str, provider: str) -> dict[str, Any]:
    """Means of the per-lesson scores (None ones left out and counted), plus overlap and judge.

    Each item of `lessons` is {"content": LessonDetail-like dict, "objectives", "minutes"}."""
    per = [
        score_lesson(
            x["content"], objectives=list(x["objectives"]), minutes=int(x["minutes"]), lang=lang, level=level
        )
        for x in lessons
    ]
    scores: dict[str, Any] = {}
    for name in ("objective_coverage", "reading_level", "answer_balance", "length_fit"):
        values = [p[name]["score"] for p in per if p[name]["score"] is not None]
        scores[name] = round(sum(values) / len(values), 4) if values else None
    # Answer positions balance over the whole course too: one question per lesson is common.
    all_quiz = [q for x in lessons for q in x["content"].get("quiz") or []]
    scores["answer_balance"] = answer_balance(all_quiz)["score"]
    scores["overlap"] = overlap([str(x["content"].get("body_md") or "") for x in lessons])["score"]
    scores["judge"] = judge(provider)["score"]
    return {"scores": scores, "per_lesson": per, "judge": judge(provider)}

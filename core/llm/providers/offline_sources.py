"""Offline answers for courses with sources (issue 17): extractive, not template filler.

The outline takes its lesson titles from the sources' headings; a lesson is built from the
passages it was given (their headings, sentences and lists), and cites each passage with a
span copied from it, so the gateway's citation check passes with no key and no network.
"""

from __future__ import annotations

import re
from typing import Any

import core.llm.providers.offline as offline

_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(.+?)\s*$")

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "part": "Part",
        "objective": "Explain what the sources say about “{h}”",
        "objective_apply": "Apply the rules from “{h}” to a work case",
        "module_summary": "Built from the sources: {h}.",
        "intro": "This lesson is built from the team's own material. It covers: {h}.",
        "from": "From the source",
        "takeaway": "Read the section “{h}” in the source",
        "exercise_title": "Retell “{h}”",
        "exercise": "Read the passage “{h}” in the source and explain in your own words what it asks "
        "people to do, with one example from your work.",
        "question": "Which statement comes from the section “{h}”?",
        "wrong": [
            "The sources leave this entirely to each person's judgement.",
            "None of the sources mention this subject.",
            "This applies only outside working hours.",
        ],
        "explanation": "The sources say so in “{h}”.",
    },
    "ru": {
        "part": "Часть",
        "objective": "Объяснить, что говорят источники о «{h}»",
        "objective_apply": "Применить правила из «{h}» к рабочему случаю",
        "module_summary": "Построено по источникам: {h}.",
        "intro": "Этот урок построен на собственных материалах команды. Он охватывает: {h}.",
        "from": "Из источника",
        "takeaway": "Прочитайте раздел «{h}» в источнике",
        "exercise_title": "Перескажите «{h}»",
        "exercise": "Прочитайте фрагмент «{h}» в источнике и объясните своими словами, что он "
        "требует делать, с одним примером из вашей работы.",
        "question": "Какое утверждение взято из раздела «{h}»?",
        "wrong": [
            "Источники оставляют это целиком на усмотрение каждого.",
            "Ни один источник не касается этой темы.",
            "Это относится только к нерабочему времени.",
        ],
        "explanation": "Так сказано в разделе «{h}».",
    },
}


def _lang(variables: dict[str, Any]) -> str:
    lang = str(variables.get("language") or "en")
    return lang if lang in TEXT else "en"


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_`#>|]", " ", text).split())


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or set(line) <= set("|-: "):
            continue
        item = _ITEM.match(line)
        body = item.group(1) if item else line
        out += [s.strip() for s in _SENTENCE.split(body) if len(s.strip()) >= 12]
    return out


def quote_of(text: str, limit: int = 240) -> str:
    """A span copied from the text (whole words, whitespace normalised as the check does)."""
    for sentence in _sentences(text):
        words = sentence.split()
        quote = ""
        for word in words:
            if len(quote) + len(word) + 1 > limit:
                break
            quote = f"{quote} {word}".strip()
        if len(quote) >= 8:
            return quote
    flat = " ".join(text.split())
    return flat[:limit].rsplit(" ", 1)[0] if len(flat) > limit else flat


# ------------------------------------------------------------------ outline


def build_outline(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """The usual outline's shape and minutes, titled from the sources' headings in order."""
    outline = offline.build_outline(variables, seed)
    text = TEXT[_lang(variables)]
    headings = [_plain(h) for h in variables.get("source_headings") or [] if _plain(h)]
    if not headings:
        return outline
    lessons = [lesson for module in outline["modules"] for lesson in module["lessons"]]
    # Spread the headings over the lessons so the whole source is covered in order.
    for i, lesson in enumerate(lessons):
        h = (
            headings[(i * len(headings)) // len(lessons)]
            if len(headings) >= len(lessons)
            else headings[i % len(headings)]
        )
        lesson["title"] = offline._clip(h, 110)
        lesson["objectives"] = [
            offline._clip(text["objective"].format(h=h), 200),
            offline._clip(text["objective_apply"].format(h=h), 200),
        ]
    for n, module in enumerate(outline["modules"], 1):
        titles = [lesson["title"] for lesson in module["lessons"]]
        # Never the same as a lesson's title: titles are unique across the outline.
        named = " · ".join(dict.fromkeys(titles[:2])) if len(set(titles[:2])) > 1 else titles[0]
        module["title"] = offline._clip(f"{text['part']} {n}. {named}", 110)
        module["objectives"] = [offline._clip(text["objective"].format(h=t), 200) for t in titles[:5]]
        module["summary"] = offline._clip(text["module_summary"].format(h="; ".join(titles)), 1000)
    ctx = offline._ctx(variables, seed)
    offline._dedupe_titles(outline["modules"], ctx)
    offline._dedupe_titles(lessons, ctx)
    return outline


# ------------------------------------------------------------------ lesson


def build_lesson(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    chunks = [c for c in variables.get("chunks") or [] if str(c.get("text", "")).strip()]
    if not chunks:
        return offline.build_lesson(variables, seed)
    text = TEXT[_lang(variables)]
    title = offline._clip(str(variables.get("lesson_title") or ""), 120)
    headings = [_plain(c.get("heading") or "") or title for c in chunks]
    parts = [f"# {title}", text["intro"].format(h="; ".join(dict.fromkeys(headings)))]
    citations: list[dict[str, str]] = []
    statements: list[tuple[str, str]] = []  # (heading, sentence) pairs for points and quiz
    for chunk, heading in zip(chunks, headings, strict=True):
        sentences = _sentences(str(chunk["text"]))
        parts.append(f"## {heading}")
        parts.append("\n".join(f"- {s}" for s in sentences[:6]) or _plain(str(chunk["text"]))[:600])
        parts.append(f"*{text['from']}: [{chunk['id']}]*")
        statements += [(heading, s) for s in sentences[:2]]
        quote = quote_of(str(chunk["text"]))
        if len(quote) >= 8:
            citations.append({"chunk_id": str(chunk["id"]), "quote": quote})
    body = "\n\n".join(parts)
    while len(body) < 200:
        body += "\n\n" + text["intro"].format(h="; ".join(headings))
    points = [offline._clip(s, 200) for _h, s in statements[:6]]
    for h in headings:
        if len(points) >= 3:
            break
        points.append(offline._clip(text["takeaway"].format(h=h), 200))
    while len(points) < 3:
        points.append(offline._clip(text["takeaway"].format(h=title), 200))
    exercises = [
        {
            "title": offline._clip(text["exercise_title"].format(h=h), 190),
            "instructions": text["exercise"].format(h=h),
        }
        for h in list(dict.fromkeys(headings))[:2]
    ]
    quiz: list[dict[str, Any]] = []
    for n, (h, sentence) in enumerate((statements or [(title, points[0])])[:3]):
        right = offline._clip(sentence, 200)
        wrong = [w for w in text["wrong"] if w != right]
        answer = offline._hash(seed, title, n) % (len(wrong) + 1)
        options = [*wrong[:answer], right, *wrong[answer:]]
        quiz.append(
            {
                "question": offline._clip(text["question"].format(h=h), 500),
                "options": options,
                "answer_index": answer,
                "explanation": offline._clip(text["explanation"].format(h=h), 1000),
            }
        )
    while len(quiz) < 2:
        quiz.append({**quiz[0], "question": quiz[0]["question"] + " (2)"})
    return {
        "body_md": body[:30000],
        "key_points": points[:8],
        "exercises": exercises,
        "quiz": quiz,
        "citations": citations[:12],
    }


offline.GROUNDED_BUILDERS.update({"Outline": build_outline, "GroundedLesson": build_lesson})

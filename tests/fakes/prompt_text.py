"""Prompt text back to prompt variables, for the fake OpenAI server (tests/fakes/openai_server.py).

The fake sees only the rendered messages; reading the variables back out of the
prompts/*/1.x.0.yaml texts lets it answer with the content the offline provider would
build for the same request. Test code: production never parses its own prompts.
"""

from __future__ import annotations

import re
from typing import Any

from core.llm.providers.offline import prompt_rules

_PATTERNS: dict[str, dict[str, str]] = {
    "Outline": {
        "topic": r"^Topic:\s*(.+)$",
        "audience": r"^Audience:\s*(.+)$",
        "level": r"^Level:\s*(\w+)",
        "tone": r"^Tone:\s*(\w+)",
        "total_duration_minutes": r"Total duration:\s*(\d+)\s*minutes",
        "module_count": r"exactly\s+(\d+)\s+modules",
        "lessons_per_module": r"exactly\s+(\d+)\s+lessons",
    },
    "LessonDetail": {
        "course_title": r"^Course:\s*(.+?)\s*\(topic:",
        "topic": r"\(topic:\s*(.+?);\s*audience:",
        "audience": r";\s*audience:\s*(.+?);\s*level:",
        "level": r";\s*level:\s*(\w+)",
        "tone": r";\s*tone:\s*(\w+)\)",
        "module_title": r"^Module:\s*(.+)$",
        "lesson_title": r"^Lesson:\s*(.+?)\s*\(\d+\s*minutes\)\s*$",
        "duration_minutes": r"^Lesson:.*\((\d+)\s*minutes\)\s*$",
    },
    "SlideDeck": {
        "course_title": r"^Course:\s*(.+?)\.\s*Tone:",
        "tone": r"Tone:\s*(\w+)\.",
        "lesson_title": r"^Lesson:\s*(.+)$",
        "slide_count": r"about\s+(\d+)\s+slides",
    },
    # issue 13: the part prompts (prompts/quiz, prompts/exercises, prompts/passage)
    "QuizSet": {
        "course_title": r"^Course:\s*(.+?)\s*\(audience:",
        "lesson_title": r"^Lesson:\s*(.+?)\s*\(\d+\s*minutes\)\s*$",
        "duration_minutes": r"^Lesson:.*\((\d+)\s*minutes\)\s*$",
        "question_count": r"exactly\s+(\d+)\s+multiple-choice",
    },
    "ExerciseSet": {
        "course_title": r"^Course:\s*(.+?)\s*\(audience:",
        "lesson_title": r"^Lesson:\s*(.+?)\s*\(\d+\s*minutes\)\s*$",
        "duration_minutes": r"^Lesson:.*\((\d+)\s*minutes\)\s*$",
        "exercise_count": r"exactly\s+(\d+)\s+practical exercises",
    },
    "PassageRewrite": {
        "course_title": r"^Course:\s*(.+?)\s*\(audience:",
        "lesson_title": r"^Lesson:\s*(.+)$",
    },
}
_INT_VARS = {
    "question_count",
    "exercise_count",
    "total_duration_minutes",
    "module_count",
    "lessons_per_module",
    "duration_minutes",
    "slide_count",
}


def _list_after(text: str, start: str, stop: str) -> list[str]:
    match = re.search(rf"^{re.escape(start)}\s*$(.*?)^{re.escape(stop)}", text, re.M | re.S)
    if not match:
        return []
    return [m.group(1) for line in match.group(1).splitlines() if (m := re.match(r"^\s*-\s+(.+)$", line))]


_CHUNK_LINE = re.compile(r"^\[(S[0-9a-f]{1,8}-\d{4})\](?: page (\d+))?[ \t]*$", re.M)


def _chunks_from_prompt(user: str) -> list[dict[str, Any]]:
    """The passages of a grounded lesson prompt, as the lesson_chunks variable held them."""
    end = user.find("Write the lesson from these passages")
    body = user[:end] if end >= 0 else user
    marks = list(_CHUNK_LINE.finditer(body))
    chunks = []
    for i, mark in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        chunks.append(
            {
                "id": mark.group(1),
                "heading": "",
                "page": int(mark.group(2)) if mark.group(2) else None,
                "text": body[mark.end() : stop].strip(),
            }
        )
    return chunks


def variables_from_messages(schema_name: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Recover prompt variables from the rendered prompts/*/1.x.0.yaml messages.

    A fake OpenAI server sees only messages, so this lets it answer with the same content
    the offline provider would. Unparsed fields fall back to the builders' defaults.
    """
    system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
    # Prompts from 1.1.0 on wrap user text in <user_data> lines (issue 9): read past them.
    users = [
        re.sub(r"^[ \t]*</?user_data>[ \t]*\n?", "", str(m.get("content") or ""), flags=re.M)
        for m in messages
        if m.get("role") == "user"
    ]
    user = users[0] if users else ""
    variables: dict[str, Any] = {}
    if lang := re.search(r'ISO code\s+"([A-Za-z-]+)"', system):
        variables["language"] = lang.group(1).lower()
    for name, pattern in _PATTERNS.get(schema_name, {}).items():
        if found := re.search(pattern, user, re.M):
            value = found.group(1).strip()
            variables[name] = int(value) if name in _INT_VARS else value
    if schema_name == "LessonDetail":
        variables["objectives"] = _list_after(user, "Objectives:", "Write the lesson:")
    if schema_name == "GroundedLesson":  # issue-17: prompts/lesson_grounded
        for name, pattern in _PATTERNS["LessonDetail"].items():
            if found := re.search(pattern, user, re.M):
                value = found.group(1).strip()
                variables[name] = int(value) if name in _INT_VARS else value
        variables["objectives"] = _list_after(user, "Objectives:", "Source passages for this lesson")
        variables["chunks"] = _chunks_from_prompt(user)
    if schema_name == "Outline" and (
        digest := re.search(r"^Sources \(a digest.*?$(.*?)^Hard rules:", user, re.M | re.S)
    ):
        # issue-17: prompts/outline_grounded lists "- heading: opening line" per section.
        variables["source_headings"] = [m.group(1) for m in re.finditer(r"^- (.+?): ", digest.group(1), re.M)]
    if schema_name == "SlideDeck":
        variables["key_points"] = _list_after(user, "Key points:", "Lesson text:")
        if body := re.search(r"^Lesson text:\s*$(.*)", user, re.M | re.S):
            variables["body_md"] = body.group(1).strip()
    if schema_name in ("QuizSet", "ExerciseSet"):
        variables["objectives"] = _list_after(user, "Objectives:", "Write ")
    if passage := re.search(r"^Passage:\s*$(.*?)^Request from the author:", user, re.M | re.S):
        variables["passage"] = passage.group(1).strip()
    if request := re.search(r"^Request from the author:\s*$(.*)", user, re.M | re.S):
        variables["instruction"] = request.group(1).strip()
    if constraints := re.search(r"Extra constraints from the author:\s*(.+)", user, re.S):
        variables["constraints"] = constraints.group(1).strip()
    for extra in users[1:]:
        if instruction := re.match(r"Additional instruction:\s*(.+)", extra, re.S):
            variables["instruction"] = instruction.group(1).strip()
    return {**variables, **prompt_rules(messages)}

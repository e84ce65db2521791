"""Offline answers for the part prompts of issue 13: a new quiz, new exercises, or one
rewritten passage of a lesson body.

Like the rest of the offline provider the answers are written locally and deterministically;
they follow what the prompt asks for (the counts, the objectives, the author's request), so
the proposal a person reviews offline changes the way a model's would.
"""

from __future__ import annotations

import re
from typing import Any

from core.llm.providers.offline import (
    BUILDERS,
    _clamp,
    _clip,
    _Ctx,
    _ctx,
    _example_md,
    _exercises,
    _hash,
    _int,
    _quiz,
)

# How an exercise without one right answer is judged (the prompt asks for a rubric then).
RUBRIC = {
    "en": [
        "Uses the approach of the lesson on a real task",
        "Names what changed and why",
        "Checks the result against the goal",
    ],
    "ru": [
        "Подход из урока применён к реальной задаче",
        "Названо, что изменилось и почему",
        "Результат сверен с целью",
    ],
}
SIMPLER = ("simpl", "easier", "plain", "прощ", "прост", "понятн")


def _with_topic(variables: dict[str, Any]) -> dict[str, Any]:
    # The part prompts name the course, not its topic: the course title stands in.
    return {"topic": variables.get("course_title") or "", **variables}


def _lesson(ctx: _Ctx, variables: dict[str, Any]) -> str:
    return _clip(str(variables.get("lesson_title") or ctx.topic), 120)


def _objectives(variables: dict[str, Any]) -> list[str]:
    return [_clip(str(o), 200) for o in variables.get("objectives") or [] if str(o).strip()]


def build_quiz_set(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    ctx = _ctx(_with_topic(variables), seed)
    count = _clamp(_int(variables.get("question_count"), 3), 2, 6)
    # The prompt states the count; a request like "shorter" must not change it here.
    counted = _ctx({**_with_topic(variables), "instruction": ""}, seed)
    questions = _quiz(counted, _lesson(ctx, variables), _objectives(variables), 20 * (count - 2))
    for q in questions:
        q["answer_index"] = _rotate(
            q, _hash(seed, "regen", q["question"], ctx.instruction) % len(q["options"])
        )
    return {"quiz": questions[:count]}


def _rotate(question: dict[str, Any], target: int) -> int:
    """Move the right option to `target`, keeping the wrong ones in order."""
    options = list(question["options"])
    right = options.pop(int(question["answer_index"]))
    options.insert(target, right)
    question["options"] = options
    return target


def build_exercise_set(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    ctx = _ctx(_with_topic(variables), seed)
    count = _clamp(_int(variables.get("exercise_count"), 2), 1, 5)
    lesson = _lesson(ctx, variables)
    # Start elsewhere in the bank than the lesson's own exercises, so the proposal differs.
    counted = _ctx({**_with_topic(variables), "instruction": ""}, seed)
    exercises = _exercises(counted, lesson + " · " + (ctx.instruction or "again"), 30 * (count - 1))
    for ex in exercises:
        ex["instructions"] = ex["instructions"].replace(lesson + " · " + (ctx.instruction or "again"), lesson)
        ex["model_answer"] = ""
        ex["rubric"] = "\n".join(f"- {c}" for c in RUBRIC[ctx.lang])
    return {"exercises": exercises[:count]}


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?…])\s+", paragraph.strip()) if s]


def _is_prose(block: str) -> bool:
    first = block.lstrip()[:2]
    return (
        bool(block.strip())
        and not first.startswith("#")
        and first[:1] not in "-*|>`"
        and not first[:1].isdigit()
    )


def _simpler(block: str) -> str:
    """Shorter sentences: asides in brackets go, long sentences split at their first comma."""
    out = []
    for sentence in _sentences(re.sub(r"\s*\([^()]*\)", "", block)):
        words = sentence.split()
        if len(words) > 12 and ", " in sentence:
            head, tail = sentence.split(", ", 1)
            sentence = f"{head}. {tail[:1].upper()}{tail[1:]}"
        out.append(sentence.replace("; ", ". "))
    return " ".join(out)


def _shorter(block: str) -> str:
    """The first sentence without its asides, cut at its first comma when still long."""
    first = (_sentences(re.sub(r"\s*\([^()]*\)", "", block)) or [block])[0]
    if len(first.split()) > 12 and ", " in first:
        first = first.split(", ", 1)[0].rstrip(".!?…") + "."
    return first


def build_passage(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    ctx = _ctx(_with_topic(variables), seed)
    passage = str(variables.get("passage") or "").strip() or ctx.topic
    blocks = passage.split("\n\n")
    if ctx.shorter:
        blocks = [_shorter(b) if _is_prose(b) else b for b in blocks]
    if any(w in ctx.instruction for w in SIMPLER):
        blocks = [_simpler(b) if _is_prose(b) else b for b in blocks]
    if ctx.more_examples:
        example = _example_md(ctx, _lesson(ctx, variables), _hash(seed, "passage", passage), "")
        blocks.append(example.split("\n", 2)[2].strip())
    text = "\n\n".join(blocks).strip()
    if text == passage or (ctx.other_instruction and not any(w in ctx.instruction for w in SIMPLER)):
        # A request the offline writer cannot carry out is said plainly, never faked.
        text += "\n\n" + ctx.p["revision_text"].format(instruction=_clip(ctx.instruction or "—", 300))
    return {"text": text[:10000]}


PART_BUILDERS = {
    "QuizSet": build_quiz_set,
    "ExerciseSet": build_exercise_set,
    "PassageRewrite": build_passage,
}

BUILDERS.update(PART_BUILDERS)

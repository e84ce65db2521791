"""Regenerate one part of a lesson - only its quiz, only its exercises, or one passage of
its body - as a proposal the author accepts or rejects (issue 13).

The job is an ordinary regeneration job (same kind, same follow/accept UI) whose payload
names the part. Each part has its own small prompt (prompts/quiz, prompts/exercises,
prompts/passage), so the model writes only that part and the call costs a fraction of a
whole lesson. The proposal stores the whole lesson as it would read after accepting, and
its parameters name the part, so accepting later applies only that part to the lesson of
that moment (see part_apply.part_content).
"""

from __future__ import annotations

from typing import Any

from core.auth import Actor, Can, require
from core.db import db_retry, session_scope
from core.errors import AppError, Code
from core.jobs import JobContext, fenced, start_job
from core.llm.gateway import CallContext, generate
from core.models import Job, Lesson, Module, NodeType
from core.schemas import CourseParams
from core.services import generation
from core.services.part_apply import REGEN_PARTS
from core.services.revisions import lesson_content

MAX_PASSAGE = 6000


def start_regenerate_part(
    *, actor: Actor, course_id: int, lesson_id: int, part: str, instruction: str = "", passage: str = ""
) -> Job:
    """Start regenerating one part of a lesson; refuses locked lessons and passages that
    are not in the lesson's text."""
    require(actor, Can.generate)
    if part not in REGEN_PARTS:
        raise AppError(
            Code.VALIDATION, f"cannot regenerate part {part!r}; choose one of {', '.join(REGEN_PARTS)}"
        )
    instruction = instruction.strip()[:500]
    passage = passage.strip()
    with session_scope() as session:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or lesson.course_id != course_id:
            raise AppError(Code.NOT_FOUND, f"lesson {lesson_id} not found in course {course_id}")
        if lesson.locked:
            raise AppError(Code.VALIDATION, f"lesson {lesson_id} is locked; unlock it to regenerate")
        if not lesson.body_md:
            raise AppError(Code.VALIDATION, f"lesson {lesson_id} has no text yet; write the lesson first")
        if part == "passage":
            if not passage:
                raise AppError(Code.VALIDATION, "choose the passage to rewrite")
            if len(passage) > MAX_PASSAGE:
                raise AppError(
                    Code.VALIDATION, f"the passage is over {MAX_PASSAGE} characters; choose a shorter one"
                )
            if passage not in lesson.body_md:
                raise AppError(Code.VALIDATION, "the passage is not in the lesson's current text")
            if not instruction:
                raise AppError(Code.VALIDATION, "say how to rewrite the passage")
    payload = {
        "node_type": str(NodeType.lesson),
        "node_id": lesson_id,
        "instruction": instruction,
        "part": part,
        "passage": passage if part == "passage" else "",
    }
    return start_job(
        kind=generation.KIND_REGENERATE,
        actor=actor,
        course_id=course_id,
        payload=payload,
        estimate_usd=generation._estimate(course_id, generation.KIND_REGENERATE, None, False),
    )


def _inputs(lesson_id: int, course: Any, params: CourseParams, part: str, passage: str) -> Any:
    with session_scope() as session:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or lesson.locked:
            return "locked"
        if not lesson.body_md or (part == "passage" and passage not in lesson.body_md):
            return "no_body"
        module = session.get(Module, lesson.module_id)
        variables = {
            "course_title": course.title,
            "audience": params.audience,
            "level": params.level.value,
            "language": params.language.value,
            "lesson_title": lesson.title,
            "module_title": module.title if module else "",
            "duration_minutes": lesson.duration_minutes,
            "objectives": list(lesson.objectives),
            "body_md": lesson.body_md,
            # As many as the lesson has now (within the schema's limits): a new quiz, not a longer one.
            "question_count": max(2, min(6, len(lesson.quiz) or 3)),
            "exercise_count": max(1, min(5, len(lesson.exercises) or 2)),
            "passage": passage,
        }
        return variables, lesson_content(lesson), lesson.current_revision_id


def run_part(ctx: JobContext, course: Any, params: CourseParams, lesson_id: int) -> str:
    """Write the proposal of one part; returns what _save_generated returns (or locked/no_body)."""
    part = str(ctx.payload.get("part"))
    passage = str(ctx.payload.get("passage") or "")
    instruction = str(ctx.payload.get("instruction") or "")
    prepared = db_retry(
        lambda: _inputs(lesson_id, course, params, part, passage), what=f"reading lesson {lesson_id}"
    )
    if isinstance(prepared, str):
        return prepared
    variables, current, expected = prepared
    variables["instruction"] = instruction
    prompt_id = {"quiz": "quiz", "exercises": "exercises", "passage": "passage"}[part]
    gen = generate(
        # Through generation's name, so tests that swap the provider there swap it here too.
        provider=fenced(ctx, generation.get_provider()),
        spec=generation._prompt(ctx, prompt_id),
        variables=variables,
        ctx=CallContext(
            step=prompt_id,
            job_id=ctx.job_id,
            course_id=int(course.id or 0),
            node_type="lesson",
            node_id=lesson_id,
        ),
    )
    ctx.charge(gen.cost_usd)
    content = None
    # What the proposal's parameters carry: which part, and for a passage the exact span
    # and its rewrite, so accepting applies it to the lesson as it is then.
    recorded = {**variables, "part": part}
    if gen.ok and gen.value is not None:
        value = gen.value.model_dump(mode="json")
        if part == "passage":
            recorded["rewrite"] = value["text"]
            content = {**current, "body_md": current["body_md"].replace(passage, value["text"], 1)}
        else:
            content = {**current, part: value[part]}
    content, checked = generation._checked(gen, content)
    if content is not None and part == "passage":
        # The check may have redacted the rewrite: accept what was stored, not the raw answer.
        body, new = current["body_md"], content["body_md"]
        start = body.find(passage)
        prefix, suffix = body[:start], body[start + len(passage) :]
        if new.startswith(prefix) and new.endswith(suffix):
            recorded["rewrite"] = new[len(prefix) : len(new) - len(suffix)]
    return generation._save_generated(
        ctx=ctx,
        node_type=NodeType.lesson,
        node_id=lesson_id,
        content=content,
        gen=gen,
        variables=recorded,
        expected_revision_id=expected,
        as_proposal=True,
        check=checked,
    )


def run_regenerate(ctx: JobContext) -> dict[str, Any]:
    """The regenerate kind's task: a whole node, or only a part of a lesson."""
    return generation.run_regenerate(ctx, part_runner=run_part)

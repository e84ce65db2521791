"""Generation jobs: outline, lesson details and slides (fanned out under a bound), whole
courses, and regeneration of one section as a proposal.

Every finished node is committed on its own with the job's id on its revision; the unique
(job, node) key makes a resumed job skip what it already wrote and never write it twice.
No transaction is open while the model is called.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.db import db_retry, id_of, is_transient, session_scope
from core.errors import AppError, Code, InvalidInput, field_errors
from core.jobs import JobContext, fenced, start_job
from core.llm.gateway import CallContext, Generation, generate
from core.llm.providers import get_provider
from core.llm.repair import repair_module_durations, repair_outline_durations
from core.models import (
    Course,
    CourseStep,
    Job,
    Lesson,
    Module,
    NodeType,
    Revision,
    RevisionStatus,
    SlideRow,
    utcnow,
)
from core.prompt_variables import course_variables, outline_variables
from core.prompts import PromptSpec, active_prompt
from core.provenance import Provenance
from core.schemas import CourseParams, Outline, outline_problems
from core.services import courses as course_svc
from core.services import grounding
from core.services.content_check import CheckOutcome, check_content
from core.services.estimate import estimate_course
from core.services.revisions import add_revision, make_current
from core.settings import get_settings

log = logging.getLogger(__name__)

KIND_OUTLINE = "outline"
KIND_LESSONS = "lessons"
KIND_SLIDES = "slides"
KIND_COURSE = "course"
KIND_REGENERATE = "regenerate"


# ------------------------------------------------------------------ starting jobs


def _estimate(course_id: int, kind: str, lesson_ids: list[int] | None, with_slides: bool) -> float:
    """What a generation of this kind is expected to cost: the cap check's figure."""

    _course, params = _params(course_id)
    steps = {s.step: s.cost_usd for s in estimate_course(params).steps}
    share = 1.0
    if lesson_ids is not None:
        share = min(1.0, len(lesson_ids) / max(1, params.lesson_count))
    if kind == KIND_OUTLINE:
        return steps.get("outline", 0.0)
    if kind == KIND_LESSONS:
        return share * (steps.get("lesson", 0.0) + (steps.get("slides", 0.0) if with_slides else 0.0))
    if kind == KIND_SLIDES:
        return share * steps.get("slides", 0.0)
    if kind == KIND_REGENERATE:
        return max(steps.get("lesson", 0.0), steps.get("slides", 0.0)) / max(1, params.lesson_count)
    return sum(steps.values())


def start_outline(*, actor: Actor, course_id: int) -> Job:
    return start_job(
        kind=KIND_OUTLINE,
        actor=actor,
        course_id=course_id,
        unique=True,
        estimate_usd=_estimate(course_id, KIND_OUTLINE, None, False),
    )


def start_lessons(
    *,
    actor: Actor,
    course_id: int,
    lesson_ids: list[int] | None = None,
    with_slides: bool = False,
    budget_usd: float | None = None,
) -> Job:
    payload = {"lesson_ids": lesson_ids, "with_slides": with_slides, "budget_usd": budget_usd}
    return start_job(
        kind=KIND_LESSONS,
        actor=actor,
        course_id=course_id,
        payload=payload,
        unique=True,
        estimate_usd=_estimate(course_id, KIND_LESSONS, lesson_ids, with_slides),
    )


def start_slides(*, actor: Actor, course_id: int, lesson_ids: list[int] | None = None) -> Job:
    return start_job(
        kind=KIND_SLIDES,
        actor=actor,
        course_id=course_id,
        payload={"lesson_ids": lesson_ids},
        unique=True,
        estimate_usd=_estimate(course_id, KIND_SLIDES, lesson_ids, True),
    )


def start_course(*, actor: Actor, course_id: int, budget_usd: float | None = None) -> Job:
    """Outline, then every lesson's details and slides: the headless path.

    With a budget, the job stops before the call that would go past it.
    """
    payload = {"budget_usd": budget_usd} if budget_usd is not None else None
    return start_job(
        kind=KIND_COURSE,
        actor=actor,
        course_id=course_id,
        payload=payload,
        unique=True,
        estimate_usd=_estimate(course_id, KIND_COURSE, None, True),
    )


def start_regenerate(
    *, actor: Actor, course_id: int, node_type: str, node_id: int, instruction: str = ""
) -> Job:
    """Regenerate one module, lesson or deck as a proposal; refuses locked nodes."""
    require(actor, Can.generate)
    if node_type not in (NodeType.module, NodeType.lesson, NodeType.slides):
        raise AppError(Code.VALIDATION, f"cannot regenerate a {node_type}")
    with session_scope() as session:
        node = session.get(Module if node_type == NodeType.module else Lesson, node_id)
        if node is None or node.course_id != course_id:
            raise AppError(Code.NOT_FOUND, f"{node_type} {node_id} not found in course {course_id}")
        if node.locked:
            raise AppError(Code.VALIDATION, f"{node_type} {node_id} is locked; unlock it to regenerate")
    payload = {"node_type": str(node_type), "node_id": node_id, "instruction": instruction.strip()[:500]}
    return start_job(
        kind=KIND_REGENERATE,
        actor=actor,
        course_id=course_id,
        payload=payload,
        estimate_usd=_estimate(course_id, KIND_REGENERATE, None, False),
    )


# ------------------------------------------------------------------ helpers


def _params(course_id: int) -> tuple[Course, CourseParams]:
    # A read: on SQLite a write session would queue for the write lock behind every
    # click that starts a job at the same moment.
    def read() -> tuple[Course, CourseParams]:
        with session_scope(readonly=True) as session:
            course = course_svc.get_course(session, course_id)
            return course, course_svc.course_params(course)

    return db_retry(read, what=f"reading course {course_id}")


def _provenance(gen: Generation[Any], variables: dict[str, Any]) -> Provenance:
    parameters = {k: v for k, v in variables.items() if k not in ("body_md", "chunks", "sources_digest")}
    if "chunks" in variables:  # issue-17: which passages the model was given, by id
        parameters["chunk_ids"] = [c["id"] for c in variables["chunks"]]
    if gen.repairs:
        # What the gateway repaired in the answer, and why (shown in the history).
        parameters["repairs"] = gen.repairs
    return Provenance(
        prompt_id=gen.prompt.prompt_id,
        prompt_version=gen.prompt.version,
        prompt_checksum=gen.prompt.checksum,
        model=gen.model,
        parameters=parameters,
        input_tokens=gen.input_tokens,
        output_tokens=gen.output_tokens,
        cost_usd=round(gen.cost_usd, 6),
    )


def _draft_content(gen: Generation[Any]) -> dict[str, Any]:
    return {"raw": gen.raw_text, "problems": gen.problems}


def _already_written(
    session: Session, job_id: int, node_type: str, node_id: int, *, drafts: bool = True
) -> bool:
    query = select(Revision.id).where(
        Revision.job_id == job_id, Revision.node_type == node_type, Revision.node_id == node_id
    )
    if not drafts:
        query = query.where(Revision.status != RevisionStatus.draft)
    return session.exec(query).first() is not None


def _bump(session: Session, node_type: str, node_id: int) -> None:
    # Generated content replaces the current text: editors holding the old version must
    # get a conflict rather than overwrite it unseen.
    if node_type == NodeType.module:
        session.execute(
            update(Module)
            .execution_options(synchronize_session=False)
            .where(col(Module.id) == node_id)
            .values(version=Module.version + 1)
        )
    elif node_type == NodeType.lesson:
        session.execute(
            update(Lesson)
            .execution_options(synchronize_session=False)
            .where(col(Lesson.id) == node_id)
            .values(version=Lesson.version + 1)
        )
    else:
        session.execute(
            update(Lesson)
            .execution_options(synchronize_session=False)
            .where(col(Lesson.id) == node_id)
            .values(slides_version=Lesson.slides_version + 1)
        )


def _save_generated(
    *,
    ctx: JobContext,
    node_type: str,
    node_id: int,
    content: dict[str, Any] | None,
    gen: Generation[Any],
    variables: dict[str, Any],
    expected_revision_id: int | None,
    as_proposal: bool = False,
    check: CheckOutcome | None = None,
) -> str:
    """Commit one node's result in its own transaction. Returns done | draft | proposal |
    quarantined | skipped. `check` is the content check made before this transaction.

    The write happens only while this worker still holds the job (fencing), and is
    retried over a brief database outage (the model call is not repeated)."""
    return db_retry(
        lambda: _save_once(
            ctx=ctx,
            node_type=node_type,
            node_id=node_id,
            content=content,
            gen=gen,
            variables=variables,
            expected_revision_id=expected_revision_id,
            as_proposal=as_proposal,
            check=check,
        ),
        what=f"saving {node_type} {node_id}",
    )


def _save_once(
    *,
    ctx: JobContext,
    node_type: str,
    node_id: int,
    content: dict[str, Any] | None,
    gen: Generation[Any],
    variables: dict[str, Any],
    expected_revision_id: int | None,
    as_proposal: bool,
    check: CheckOutcome | None,
) -> str:
    try:
        with session_scope() as session:
            ctx.assert_claim(session)
            if _already_written(session, ctx.job_id, node_type, node_id):
                return "skipped"
            owner = session.get(Module if node_type == NodeType.module else Lesson, node_id)
            if owner is None:
                return "skipped"
            current = owner.slides_revision_id if node_type == NodeType.slides else owner.current_revision_id
            status: str
            if content is None:
                status = RevisionStatus.draft
            elif check is not None and check.blocked:
                # The policy blocks it: kept whole with its findings, never applied.
                status = RevisionStatus.quarantined
            elif as_proposal or owner.locked or current != expected_revision_id:
                # Someone edited (or locked) the node while the model was writing: never
                # overwrite that; offer the result as a proposal instead.
                status = RevisionStatus.proposal
            else:
                status = RevisionStatus.current
            rev = add_revision(
                session,
                course_id=owner.course_id,
                node_type=node_type,
                node_id=node_id,
                content=content if content is not None else _draft_content(gen),
                status=status,
                job_id=ctx.job_id,
                provenance=_provenance(gen, variables),
                error_code=Code.CONTENT_BLOCKED if status == RevisionStatus.quarantined else gen.error_code,
                note=_note(gen, content, check),
                findings=check.records() if check is not None else [],
            )
            if status == RevisionStatus.current:
                _bump(session, node_type, node_id)
                make_current(session, rev)
            elif status in (RevisionStatus.draft, RevisionStatus.quarantined) and isinstance(owner, Lesson):
                if node_type == NodeType.slides:
                    owner.slides_status = "draft"
                else:
                    owner.detail_status = "draft"
                session.add(owner)
    except IntegrityError:
        # Another attempt of this job wrote the node between our check and insert.
        return "skipped"
    return {"current": "done", "draft": "draft", "proposal": "proposal", "quarantined": "quarantined"}[status]


def _note(gen: Generation[Any], content: dict[str, Any] | None, check: CheckOutcome | None) -> str:
    if check is not None and check.blocked:
        return ("blocked: " + check.summary())[:500]
    if content is None:
        return "; ".join(gen.problems)[:500]
    return ("flagged: " + check.summary())[:500] if check is not None and check.findings else ""


def _checked(
    gen: Generation[Any], content: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, CheckOutcome]:
    """Moderation and PII check of a model answer (or of its raw text, when it did not
    validate), before any transaction opens; returns the content to store."""
    check = check_content(content if content is not None else _draft_content(gen))
    if content is None:
        gen.raw_text = str(check.content.get("raw", gen.raw_text))
        return None, check
    return check.content, check


def _prompt(ctx: JobContext, prompt_id: str) -> PromptSpec:
    """The version the step's label points at when the job first needs it: one job uses
    one version throughout, even if the label moves while it runs."""
    key = f"prompt:{prompt_id}"
    if key not in ctx.memo:
        ctx.memo[key] = active_prompt(prompt_id)
    return ctx.memo[key]


def _generate_node(
    ctx: JobContext,
    *,
    prompt_id: str,
    node_type: str,
    node_id: int,
    course_id: int,
    variables: dict[str, Any],
    expected_revision_id: int | None,
    as_proposal: bool,
    base: dict[str, Any] | None = None,
    check: Any = None,
    instruction: str | None = None,
    repair: Any = None,
    step: str | None = None,
) -> str:
    """One node: call the model (no transaction open), charge the job, save the result."""
    gen = generate(
        repair=repair,
        provider=fenced(ctx, get_provider()),
        spec=_prompt(ctx, prompt_id),
        variables=variables,
        ctx=CallContext(
            step=step or prompt_id,
            job_id=ctx.job_id,
            course_id=course_id,
            node_type=node_type,
            node_id=node_id,
            # issue 18: a person waits on one regenerated section; it goes before bulk work.
            interactive=ctx.kind == KIND_REGENERATE,
        ),
        check=check,
        extra_instruction=instruction or None,
    )
    ctx.charge(gen.cost_usd)
    content = {**(base or {}), **gen.value.model_dump(mode="json")} if gen.ok else None
    content, checked = _checked(gen, content)
    return _save_generated(
        ctx=ctx,
        node_type=node_type,
        node_id=node_id,
        content=content,
        gen=gen,
        variables=variables,
        expected_revision_id=expected_revision_id,
        as_proposal=as_proposal,
        check=checked,
    )


# ------------------------------------------------------------------ outline


def latest_outline_draft(session: Session, course_id: int) -> Revision | None:
    """The newest invalid outline answer kept for a course (what a failed job points at)."""
    query = (
        select(Revision)
        .where(
            Revision.node_type == NodeType.course,
            Revision.node_id == course_id,
            Revision.status == RevisionStatus.draft,
        )
        .order_by(col(Revision.id).desc())
    )
    return session.exec(query).first()


def _strip_fence(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        return "\n".join(lines[1:-1])
    return text


def accept_outline_draft(session: Session, *, actor: Actor, course_id: int, text: str) -> Outline:
    """Use an outline the author fixed from a kept draft: it passes the same checks as a
    model answer (schema, counts, time budget); any problem is listed and nothing is written."""
    require(actor, Can.edit)
    author = actor.label
    import json

    from pydantic import ValidationError

    try:
        data = json.loads(_strip_fence(text))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the draft is not valid JSON",
            [
                {
                    "field": "draft",
                    "message": f"line {exc.lineno}: {exc.msg}",
                    # issue-12: the UI names the line and column in the person's language.
                    "type": "json_invalid",
                    "ctx": {"line": exc.lineno, "column": exc.colno, "reason": exc.msg},
                }
            ],
        ) from exc
    try:
        outline = Outline.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("the draft does not fit the outline schema", field_errors(exc)) from exc
    course = course_svc.get_course(session, course_id)
    problems = outline_problems(outline, course_svc.course_params(course))
    if problems:
        raise InvalidInput(
            "the draft breaks the course parameters",
            [{"field": p.split(":", 1)[0], "message": p} for p in problems],
        )
    _write_outline(session, course=course, outline=outline, job_id=None, prov=Provenance())
    session.flush()
    rev = session.exec(
        select(Revision)
        .where(Revision.node_type == NodeType.course, Revision.node_id == course_id)
        .order_by(col(Revision.id).desc())
    ).first()
    if rev is not None:
        rev.source, rev.author, rev.note = "edited", author[:120], "accepted from a fixed draft"
        session.add(rev)
    return outline


def _write_outline(
    session: Session,
    *,
    course: Course,
    outline: Outline,
    job_id: int | None,
    prov: Provenance,
    findings: list[dict[str, Any]] | None = None,
) -> None:
    existing = course_svc.modules_of(session, id_of(course))
    if any(m.locked for m in existing) or any(
        lsn.body_md for lsn in course_svc.lessons_of(session, id_of(course))
    ):
        raise AppError(
            Code.VALIDATION,
            "this course already has locked modules or written lessons; regenerate modules one at a time",
        )
    for module in existing:
        for lesson in session.exec(select(Lesson).where(Lesson.module_id == module.id)):
            for slide in session.exec(select(SlideRow).where(SlideRow.lesson_id == lesson.id)):
                session.delete(slide)
            session.delete(lesson)
        session.delete(module)
    session.flush()
    course_id = id_of(course)
    add_revision(
        session,
        course_id=course_id,
        node_type=NodeType.course,
        node_id=course_id,
        content=outline.model_dump(mode="json"),
        job_id=job_id,
        provenance=prov,
        findings=findings,
        note=("flagged: " + "; ".join(f"{f['kind']} in {f['where']}" for f in findings))[:500]
        if findings
        else "",
    )
    course.title = outline.title
    course.summary = outline.summary
    course.step = CourseStep.structure
    course.updated_at = utcnow()
    session.add(course)
    for mi, om in enumerate(outline.modules):
        module = Module(
            course_id=course_id,
            position=mi,
            title=om.title,
            summary=om.summary,
            objectives=list(om.objectives),
        )
        session.add(module)
        session.flush()
        mrev = add_revision(
            session,
            course_id=course_id,
            node_type=NodeType.module,
            node_id=id_of(module),
            content={"title": om.title, "summary": om.summary, "objectives": list(om.objectives)},
            job_id=job_id,
            provenance=prov,
        )
        module.current_revision_id = mrev.id
        for li, ol in enumerate(om.lessons):
            session.add(
                Lesson(
                    course_id=course_id,
                    module_id=id_of(module),
                    position=li,
                    title=ol.title,
                    objectives=list(ol.objectives),
                    duration_minutes=ol.duration_minutes,
                )
            )


def _run_outline(ctx: JobContext, course_id: int) -> dict[str, Any]:
    with session_scope() as session:
        # issue-12: a draft left by a failed attempt is not a structure; a retry asks again.
        if _already_written(session, ctx.job_id, NodeType.course, course_id, drafts=False):
            ctx.step("outline", "done", "written by an earlier attempt")
            return {"outline": "resumed"}
    course, params = _params(course_id)
    ctx.step("outline", "running")
    ctx.check_budget()
    variables = outline_variables(params, course.title)
    grounded = db_retry(lambda: grounding.outline_variables(course_id), what="reading the sources")
    variables.update(grounded)
    spec = _prompt(ctx, "outline_grounded" if grounded else "outline")
    gen = generate(
        provider=fenced(ctx, get_provider()),
        spec=spec,
        variables=variables,
        ctx=CallContext(
            step="outline",
            job_id=ctx.job_id,
            course_id=course_id,
            node_type=NodeType.course,
            node_id=course_id,
        ),
        check=lambda o: outline_problems(o, params),
        repair=lambda data: repair_outline_durations(data, params.total_duration_minutes),
    )
    ctx.charge(gen.cost_usd)
    prov = _provenance(gen, variables)
    raw_content = gen.value.model_dump(mode="json") if gen.ok else None
    content, checked = _checked(gen, raw_content)
    outline = gen.value
    if content is not None and content != raw_content:
        try:  # redacted: the stored outline is the redacted one
            outline = Outline.model_validate(content)
        except ValueError:
            outline = None
    if not gen.ok or checked.blocked or outline is None:
        blocked = gen.ok
        with session_scope() as session:
            ctx.assert_claim(session)
            if not _already_written(session, ctx.job_id, NodeType.course, course_id):
                add_revision(
                    session,
                    course_id=course_id,
                    node_type=NodeType.course,
                    node_id=course_id,
                    content=content if blocked else _draft_content(gen),
                    status=RevisionStatus.quarantined if blocked else RevisionStatus.draft,
                    job_id=ctx.job_id,
                    provenance=prov,
                    error_code=Code.CONTENT_BLOCKED if blocked else gen.error_code,
                    note=_note(gen, content, checked),
                    findings=checked.records(),
                )
        if blocked:
            ctx.step("outline", "draft", f"{Code.CONTENT_BLOCKED}: kept the outline as a quarantined draft")
            raise AppError(
                Code.CONTENT_BLOCKED,
                "the outline is blocked by the content policy and kept as a quarantined draft: "
                + checked.summary()[:300],
            )
        ctx.step("outline", "draft", f"{gen.error_code}: kept the model's answer as a draft")
        raise AppError(
            str(gen.error_code),
            "the outline did not validate; the answer is kept as a draft: " + "; ".join(gen.problems[:5]),
        )
    with session_scope() as session:
        ctx.assert_claim(session)  # a worker taken over never rewrites the structure
        # A retry after an invalid answer: that attempt's draft stays in history, but one
        # revision per (job, node) is what makes writes happen once, so it lets go of the job.
        for draft in session.exec(
            select(Revision).where(
                Revision.job_id == ctx.job_id,
                Revision.node_type == NodeType.course,
                Revision.node_id == course_id,
                Revision.status == RevisionStatus.draft,
            )
        ):
            draft.job_id = None
            session.add(draft)
        session.flush()
        course = course_svc.get_course(session, course_id)
        _write_outline(
            session, course=course, outline=outline, job_id=ctx.job_id, prov=prov, findings=checked.records()
        )
    ctx.step("outline", "done", f"{len(gen.value.modules)} modules")
    return {"modules": len(gen.value.modules)}


def run_outline(ctx: JobContext) -> dict[str, Any]:
    assert ctx.course_id is not None
    ctx.set_steps([("outline", "Course structure")])
    return _run_outline(ctx, ctx.course_id)


# ------------------------------------------------------------------ lessons and slides


@dataclass
class _LessonWork:
    lesson_id: int
    label: str
    details: bool
    slides: bool


def _written_steps(job_id: int) -> set[str]:
    """Steps whose node this job already committed: the truth a resumed attempt trusts,
    since step statuses are written a moment after the node itself."""
    with session_scope() as session:
        rows = session.exec(
            select(Revision.node_type, Revision.node_id).where(Revision.job_id == job_id)
        ).all()
    return {f"{node_type}:{node_id}" for node_type, node_id in rows}


def _lesson_label(session: Session, lesson: Lesson) -> str:
    module = session.get(Module, lesson.module_id)
    return f"{(module.position if module else 0) + 1}.{lesson.position + 1} {lesson.title}"[:120]


def _generate_details(
    ctx: JobContext, lesson_id: int, course: Course, params: CourseParams, *, as_proposal: bool = False
) -> str:
    prepared = db_retry(
        lambda: _details_inputs(lesson_id, course, params), what=f"reading lesson {lesson_id}"
    )
    if isinstance(prepared, str):
        return prepared
    variables, base, expected = prepared
    # issue-17: a course with sources gets the passages retrieved for this lesson, and its
    # answer must cite them; a course without sources is generated exactly as before.
    chunks = grounding.lesson_chunks(ctx, id_of(course), variables)
    if chunks:
        variables["chunks"] = chunks
    return _generate_node(
        ctx,
        prompt_id="lesson_grounded" if chunks else "lesson",
        node_type=NodeType.lesson,
        node_id=lesson_id,
        course_id=id_of(course),
        variables=variables,
        expected_revision_id=expected,
        as_proposal=as_proposal,
        base=base,
        instruction=ctx.payload.get("instruction"),
        check=grounding.citation_check(chunks) if chunks else None,
        step="lesson",
    )


def _details_inputs(
    lesson_id: int, course: Course, params: CourseParams
) -> str | tuple[dict[str, Any], dict[str, Any], int | None]:
    with session_scope() as session:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or lesson.locked:
            return "locked"
        module = session.get(Module, lesson.module_id)
        expected = lesson.current_revision_id
        variables = {
            **course_variables(params, course.title),
            "module_title": module.title if module else "",
            "lesson_title": lesson.title,
            "objectives": list(lesson.objectives),
            "duration_minutes": lesson.duration_minutes,
            **_lesson_context(session, lesson, params),
        }
        base = {
            "title": lesson.title,
            "objectives": list(lesson.objectives),
            "duration_minutes": lesson.duration_minutes,
        }
    return variables, base, expected


def _lesson_context(session: Session, lesson: Lesson, params: CourseParams) -> dict[str, Any]:
    """issue 13: what lesson prompts from 1.2.0 on also see: the neighbouring lessons (to
    avoid overlap) and the body's length in words at the stated reading speed."""
    from core.services.content_scores import READING_WPM, body_words

    ordered = course_svc.lessons_of(session, lesson.course_id)
    at = next((i for i, x in enumerate(ordered) if x.id == lesson.id), 0)
    around = [ordered[j] for j in (at - 1, at + 1) if 0 <= j < len(ordered)]
    lang = params.language.value
    return {
        "neighbours": [f"{n.title} — {'; '.join(n.objectives)}" for n in around],
        "body_words": body_words(lesson.duration_minutes, lang),
        "words_per_minute": READING_WPM.get(lang, READING_WPM["en"]),
    }


def _slide_count(duration_minutes: int) -> int:
    return max(3, min(12, round(duration_minutes / 4) + 2))


def _generate_slides(
    ctx: JobContext, lesson_id: int, course: Course, params: CourseParams, *, as_proposal: bool = False
) -> str:
    prepared = db_retry(lambda: _slides_inputs(lesson_id, course, params), what=f"reading lesson {lesson_id}")
    if isinstance(prepared, str):
        return prepared
    variables, expected = prepared
    return _generate_node(
        ctx,
        prompt_id="slides",
        node_type=NodeType.slides,
        node_id=lesson_id,
        course_id=id_of(course),
        variables=variables,
        expected_revision_id=expected,
        as_proposal=as_proposal,
        instruction=ctx.payload.get("instruction"),
    )


def _slides_inputs(
    lesson_id: int, course: Course, params: CourseParams
) -> str | tuple[dict[str, Any], int | None]:
    with session_scope() as session:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or lesson.locked:
            return "locked"
        if not lesson.body_md:
            # issue 10: no text to make slides from; say why rather than "already written".
            return "no_body_draft" if lesson.detail_status == "draft" else "no_body"
        expected = lesson.slides_revision_id
        variables = {
            "course_title": course.title,
            "language": params.language.value,
            "tone": params.tone.value,
            "lesson_title": lesson.title,
            "body_md": lesson.body_md,
            "key_points": list(lesson.key_points),
            "slide_count": _slide_count(lesson.duration_minutes),
        }
    return variables, expected


def _plan(course_id: int, lesson_ids: list[int] | None, details: bool, slides: bool) -> list[_LessonWork]:
    with session_scope() as session:
        work = []
        for lesson in course_svc.lessons_of(session, course_id):
            if lesson_ids is not None and lesson.id not in lesson_ids:
                continue
            work.append(_LessonWork(id_of(lesson), _lesson_label(session, lesson), details, slides))
        return work


def _run_fanout(
    ctx: JobContext, course_id: int, work: list[_LessonWork], prefix_steps: list[tuple[str, str]]
) -> dict[str, Any]:
    course, params = _params(course_id)
    steps = list(prefix_steps)
    for w in work:
        if w.details:
            steps.append((f"lesson:{w.lesson_id}", f"Lesson {w.label}"))
        if w.slides:
            steps.append((f"slides:{w.lesson_id}", f"Slides {w.label}"))
    db_retry(lambda: ctx.set_steps(steps), what="declaring steps")
    finished = db_retry(lambda: ctx.done_steps() | _written_steps(ctx.job_id), what="reading finished steps")
    counts = {"done": 0, "draft": 0, "proposal": 0, "skipped": 0, "failed": 0, "no_body": 0}
    failures: list[AppError] = []
    lock = threading.Lock()

    def tally(key: str) -> None:
        with lock:
            counts[key] = counts.get(key, 0) + 1

    def one(w: _LessonWork) -> None:
        for kind, fn in (("lesson", _generate_details), ("slides", _generate_slides)):
            if not (w.details if kind == "lesson" else w.slides):
                continue
            name = f"{kind}:{w.lesson_id}"
            if name in finished:
                tally("skipped")
                continue
            ctx.check_cancel()
            ctx.step(name, "running")
            try:
                ctx.check_budget()
            except AppError as exc:
                ctx.step(name, "failed", f"{exc.code}: {exc.message}")
                tally("failed")
                with lock:
                    failures.append(exc)
                return
            try:
                try:
                    outcome = fn(ctx, w.lesson_id, course, params)
                except Exception as exc:
                    if isinstance(exc, AppError) or not is_transient(exc):
                        raise
                    # The database stayed away past the retries: this lesson is redone
                    # by a retry of the job; the others go on.
                    raise AppError(
                        Code.DB_UNAVAILABLE, f"the database was unreachable ({type(exc).__name__})"
                    ) from exc
            except AppError as exc:
                # One lesson's provider error does not stop the others; a retry of the
                # job redoes only the lessons that failed.
                ctx.step(name, "failed", f"{exc.code}: {exc.message}")
                tally("failed")
                with lock:
                    failures.append(exc)
                return
            if outcome == "locked":
                ctx.step(name, "skipped", "locked")
                tally("skipped")
                continue
            if outcome in ("no_body", "no_body_draft"):
                why = (
                    "skipped: the lesson text was kept as a draft, so there is nothing to make slides from"
                    if outcome == "no_body_draft"
                    else "skipped: the lesson has no text yet"
                )
                ctx.step(name, "skipped", why)
                tally("no_body")
                continue
            tally("draft" if outcome == "quarantined" else outcome)  # not usable either: partial
            detail = {
                "draft": "the answer did not validate; kept as a draft",
                "proposal": "edited meanwhile; result kept as a proposal",
                "skipped": "already written",
                "quarantined": "blocked by the content policy; kept as a quarantined draft",
            }.get(outcome, "")
            ctx.step(name, "draft" if outcome in ("draft", "quarantined") else "done", detail)

    concurrency = get_settings().GENERATION_CONCURRENCY
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"job{ctx.job_id}") as pool:
        # Each thread runs in a copy of the job's context: log fields and the job's span carry over.
        futures = [pool.submit(contextvars.copy_context().run, one, w) for w in work]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for f in pending:
            f.cancel()
        for f in done:
            exc = f.exception()
            if exc is not None:
                raise exc
    produced = counts["done"] + counts["proposal"] + counts["draft"] + counts["skipped"]
    budget_stop = any(f.code == Code.BUDGET_EXCEEDED for f in failures)
    if failures and (budget_stop or produced == 0):
        first = failures[0]
        raise AppError(
            first.code,
            f"{len(failures)} of {len(work)} lessons failed ({first.message}); retry the job to redo only those",
        )
    with session_scope() as session:
        course_svc.touch(
            session, course_id, step=CourseStep.slides if any(w.slides for w in work) else CourseStep.lessons
        )
    # Drafts an earlier attempt of this job kept count too (this attempt skipped them).
    with session_scope(readonly=True) as session:
        drafts = len(
            session.exec(
                select(Revision.id).where(
                    Revision.job_id == ctx.job_id, Revision.status == RevisionStatus.draft
                )
            ).all()
        )
    if drafts > counts["draft"]:
        counts["skipped"] -= min(counts["skipped"], drafts - counts["draft"])
        counts["draft"] = drafts
    return _outcome(counts, failures, len(work))


def _outcome(counts: dict[str, int], failures: list[AppError], total: int) -> dict[str, Any]:
    """The job's result with counts; `partial` when anything was kept as a draft, skipped
    for lack of text, or failed: a job that did not produce what was asked never reads
    as succeeded (issue 10)."""
    result: dict[str, Any] = {
        **counts,
        "written": counts["done"] + counts["proposal"],
        "drafts": counts["draft"],
        "skipped": counts["skipped"] + counts["no_body"],
        "failed": counts["failed"],
    }
    if failures:
        first = failures[0]
        result.update(
            partial=True,
            error_code=first.code,
            error_detail=f"{len(failures)} of {total} lessons failed ({first.message}); "
            "retry the job to redo only those",
        )
    elif counts["draft"] or counts["no_body"]:
        result.update(
            partial=True,
            error_code=Code.LLM_INVALID_OUTPUT,
            error_detail=f"{counts['draft']} steps kept invalid model output as drafts; "
            f"{counts['no_body']} slide decks skipped for lack of lesson text",
        )
    return result


def run_lessons(ctx: JobContext) -> dict[str, Any]:
    assert ctx.course_id is not None
    work = _plan(ctx.course_id, ctx.payload.get("lesson_ids"), True, bool(ctx.payload.get("with_slides")))
    return _run_fanout(ctx, ctx.course_id, work, [])


def run_slides(ctx: JobContext) -> dict[str, Any]:
    assert ctx.course_id is not None
    work = _plan(ctx.course_id, ctx.payload.get("lesson_ids"), False, True)
    return _run_fanout(ctx, ctx.course_id, work, [])


def run_course(ctx: JobContext) -> dict[str, Any]:
    assert ctx.course_id is not None
    ctx.set_steps([("outline", "Course structure")])
    if "outline" not in ctx.done_steps():
        _run_outline(ctx, ctx.course_id)
    work = _plan(ctx.course_id, None, True, True)
    return _run_fanout(ctx, ctx.course_id, work, [("outline", "Course structure")])


# ------------------------------------------------------------------ regenerate one section


def _regenerate_module(
    ctx: JobContext, course: Course, params: CourseParams, module_id: int, instruction: str
) -> str:
    with session_scope() as session:
        module = session.get(Module, module_id)
        if module is None:
            raise AppError(Code.NOT_FOUND, f"module {module_id} not found")
        lessons = list(
            session.exec(select(Lesson).where(Lesson.module_id == module_id).order_by(col(Lesson.position)))
        )
        others = [m.title for m in course_svc.modules_of(session, id_of(course)) if m.id != module_id]
        expected = module.current_revision_id
    variables = {
        **course_variables(params, course.title),
        "module_title": module.title,
        "lesson_count": len(lessons),
        "duration_minutes": sum(lsn.duration_minutes for lsn in lessons),
        "other_modules": others,
        "instruction": instruction,
    }
    total = variables["duration_minutes"]

    def check(om: Any) -> list[str]:
        problems = []
        if len(om.lessons) != len(lessons):
            problems.append(f"lessons: expected exactly {len(lessons)} lessons, got {len(om.lessons)}")
        if om.duration_minutes != total:
            problems.append(
                f"duration: lesson durations add up to {om.duration_minutes}; they must add up to {total}"
            )
        return problems

    # The module prompt takes the instruction as a variable of its own.
    return _generate_node(
        ctx,
        prompt_id="module",
        node_type=NodeType.module,
        node_id=module_id,
        course_id=id_of(course),
        variables=variables,
        expected_revision_id=expected,
        as_proposal=True,
        check=check,
        repair=lambda data: repair_module_durations(data, total),
    )


PartRunner = Callable[[JobContext, Course, CourseParams, int], str]


def run_regenerate(ctx: JobContext, part_runner: PartRunner | None = None) -> dict[str, Any]:
    """One section again, as a proposal. A part of a lesson (issue 13) is run by
    part_runner: core.services.part_regen passes it, so this module never imports that one
    back (the regenerate kind's task is part_regen.run_regenerate)."""
    assert ctx.course_id is not None
    node_type, node_id = ctx.payload["node_type"], int(ctx.payload["node_id"])
    instruction = str(ctx.payload.get("instruction") or "")
    name = f"{node_type}:{node_id}"
    ctx.set_steps([(name, f"Regenerate {node_type} {node_id}")])
    if name in ctx.done_steps():
        return {"outcome": "resumed"}
    course, params = _params(ctx.course_id)
    ctx.step(name, "running")
    ctx.check_budget()
    if node_type == NodeType.module:
        outcome = _regenerate_module(ctx, course, params, node_id, instruction)
    elif ctx.payload.get("part"):  # issue 13: only the quiz, the exercises or one passage
        if part_runner is None:
            raise AppError(Code.INTERNAL, "a part regeneration needs core.services.part_regen.run_regenerate")
        outcome = part_runner(ctx, course, params, node_id)
    else:
        fn = _generate_details if node_type == NodeType.lesson else _generate_slides
        outcome = fn(ctx, node_id, course, params, as_proposal=True)
    ctx.step(
        name,
        "draft" if outcome in ("draft", "quarantined") else "done",
        {
            "draft": "the answer did not validate; kept as a draft",
            "quarantined": "blocked by the content policy; kept as a quarantined draft",
        }.get(outcome, "proposal ready"),
    )
    return {"outcome": outcome, "node_type": node_type, "node_id": node_id}

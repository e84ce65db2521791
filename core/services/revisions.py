"""Every version of every node: record, make current, edit with optimistic concurrency,
accept or reject proposals, restore, and diff."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from diff_match_patch import diff_match_patch
from sqlalchemy import update
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.db import get_or_404, id_of, rowcount
from core.errors import AppError, Code, InvalidInput, field_errors
from core.models import (
    Lesson,
    Module,
    NodeType,
    Revision,
    RevisionSource,
    RevisionStatus,
    SlideRow,
    VideoScript,
    utcnow,
)
from core.provenance import Provenance, call_fields
from core.schemas import LessonDetail, OutlineModule, SlideDeck
from core.services.content_check import check_content
from core.services.part_apply import part_content

LESSON_FIELDS = ("title", "objectives", "duration_minutes", "body_md", "key_points", "exercises", "quiz")
MODULE_FIELDS = ("title", "summary", "objectives")


def add_revision(
    session: Session,
    *,
    course_id: int,
    node_type: NodeType | str,
    node_id: int,
    content: dict[str, Any],
    source: RevisionSource | str = RevisionSource.generated,
    status: RevisionStatus | str = RevisionStatus.current,
    job_id: int | None = None,
    provenance: Provenance | None = None,
    author: str = "system",
    note: str = "",
    based_on_revision_id: int | None = None,
    error_code: str | None = None,
    findings: list[dict[str, Any]] | None = None,
) -> Revision:
    prov = provenance or Provenance()
    rev = Revision(
        course_id=course_id,
        node_type=str(node_type),
        node_id=node_id,
        content=content,
        source=str(source),
        status=str(status),
        job_id=job_id,
        author=author,
        note=note[:500],
        based_on_revision_id=based_on_revision_id,
        parameters=prov.parameters or {},
        **call_fields(prov),
        error_code=error_code,
        findings=list(findings or []),
    )
    session.add(rev)
    session.flush()
    return rev


# ------------------------------------------------------------ node content


def lesson_content(lesson: Lesson) -> dict[str, Any]:
    return {f: getattr(lesson, f) for f in LESSON_FIELDS}


def module_content(module: Module) -> dict[str, Any]:
    return {f: getattr(module, f) for f in MODULE_FIELDS}


def slides_content(session: Session, lesson_id: int) -> dict[str, Any]:
    rows = session.exec(
        select(SlideRow).where(SlideRow.lesson_id == lesson_id).order_by(col(SlideRow.position))
    )
    return {"slides": [{"title": r.title, "bullets": list(r.bullets), "notes": r.notes} for r in rows]}


def current_content(session: Session, node_type: str, node_id: int) -> dict[str, Any]:
    if node_type == NodeType.lesson:
        return lesson_content(get_or_404(session, Lesson, node_id, "lesson"))
    if node_type == NodeType.module:
        return module_content(get_or_404(session, Module, node_id, "module"))
    if node_type == NodeType.slides:
        return slides_content(session, node_id)
    if node_type == NodeType.video_script:  # issue-14
        return {"text": get_or_404(session, VideoScript, node_id, "video script").text}
    raise AppError(Code.VALIDATION, f"unknown node type {node_type!r}")


def validate_content(node_type: str, content: dict[str, Any]) -> dict[str, Any]:
    """Refuse edits that break the schema the node's generator promises."""
    from pydantic import ValidationError

    try:
        if node_type == NodeType.lesson:
            LessonDetail.model_validate(
                {k: content[k] for k in ("body_md", "key_points", "exercises", "quiz")}
            )
        elif node_type == NodeType.slides:
            SlideDeck.model_validate(content)
        elif node_type == NodeType.module:
            OutlineModule.model_validate(
                {**content, "lessons": [{"title": "xx", "objectives": ["x"], "duration_minutes": 1}]}
            )
        elif node_type == NodeType.video_script:  # issue-14
            from core.video.script import parse_script

            parse_script(str(content["text"]))
    except (ValidationError, KeyError) as exc:
        raise InvalidInput(f"the edited {node_type} is not valid", field_errors(exc)) from exc
    return content


def _write_slides(session: Session, lesson_id: int, content: dict[str, Any]) -> None:
    for row in session.exec(select(SlideRow).where(SlideRow.lesson_id == lesson_id)):
        session.delete(row)
    session.flush()
    for i, slide in enumerate(content.get("slides", [])):
        session.add(
            SlideRow(
                lesson_id=lesson_id,
                position=i,
                title=str(slide.get("title", ""))[:200],
                bullets=list(slide.get("bullets", [])),
                notes=str(slide.get("notes", "")),
            )
        )


def _apply_module_lessons(session: Session, module: Module, planned: list[dict[str, Any]]) -> None:
    """A regenerated module re-plans its lessons; locked lessons keep theirs."""
    lessons = session.exec(select(Lesson).where(Lesson.module_id == module.id).order_by(col(Lesson.position)))
    for lesson, plan in zip(lessons, planned, strict=False):
        if lesson.locked:
            continue
        lesson.title = str(plan.get("title", lesson.title))[:200]
        lesson.objectives = list(plan.get("objectives", lesson.objectives))
        lesson.duration_minutes = int(plan.get("duration_minutes", lesson.duration_minutes))
        lesson.version += 1
        lesson.updated_at = utcnow()
        session.add(lesson)


def make_current(session: Session, rev: Revision) -> None:
    """Apply a revision's content to its node (the current tree follows the revision)."""
    content = rev.content
    if rev.node_type == NodeType.lesson:
        lesson = get_or_404(session, Lesson, rev.node_id, "lesson")
        for f in LESSON_FIELDS:
            if f in content:
                setattr(lesson, f, content[f])
        lesson.detail_status = "generated" if lesson.body_md else lesson.detail_status
        lesson.current_revision_id = rev.id
        lesson.updated_at = utcnow()
        session.add(lesson)
    elif rev.node_type == NodeType.module:
        module = get_or_404(session, Module, rev.node_id, "module")
        for f in MODULE_FIELDS:
            if f in content:
                setattr(module, f, content[f])
        module.current_revision_id = rev.id
        module.updated_at = utcnow()
        session.add(module)
        if content.get("lessons"):
            _apply_module_lessons(session, module, content["lessons"])
    elif rev.node_type == NodeType.slides:
        lesson = get_or_404(session, Lesson, rev.node_id, "lesson")
        _write_slides(session, rev.node_id, content)
        lesson.slides_revision_id = rev.id
        lesson.slides_status = "generated"
        lesson.updated_at = utcnow()
        session.add(lesson)
    elif rev.node_type == NodeType.video_script:  # issue-14
        script = get_or_404(session, VideoScript, rev.node_id, "video script")
        script.text = str(content.get("text", ""))
        script.current_revision_id = rev.id
        script.updated_at = utcnow()
        session.add(script)
    else:
        raise AppError(Code.VALIDATION, f"cannot apply a {rev.node_type} revision")


# ------------------------------------------------------------ editing


@dataclass
class SaveResult:
    saved: bool
    revision_id: int
    version: int  # the node's version after the save (or the winner's, on conflict)
    message: str = ""
    problems: list[str] = field(default_factory=list)  # why an invalid edit was kept as a draft
    errors: list[dict[str, Any]] = field(default_factory=list)  # the same problems, structured (issue-12)
    # issue 9: moderation/PII findings of this save; blocked = kept as a quarantined revision
    findings: list[dict[str, Any]] = field(default_factory=list)
    blocked: bool = False


def _version_column(node_type: str) -> tuple[type, Any, Any]:
    if node_type == NodeType.lesson:
        return Lesson, Lesson.version, col(Lesson.id)
    if node_type == NodeType.slides:
        return Lesson, Lesson.slides_version, col(Lesson.id)
    if node_type == NodeType.module:
        return Module, Module.version, col(Module.id)
    if node_type == NodeType.video_script:  # issue-14
        return VideoScript, VideoScript.version, col(VideoScript.id)
    raise AppError(Code.VALIDATION, f"cannot edit a {node_type}")


def save_edit(
    session: Session,
    *,
    node_type: str,
    node_id: int,
    content: dict[str, Any],
    expected_version: int,
    actor: Actor,
    source: RevisionSource = RevisionSource.edited,
    note: str = "",
) -> SaveResult:
    """Save an edit if nobody saved since `expected_version`; otherwise keep it as a
    conflict revision and report the winner's version. Never overwrites silently.

    The caller commits in both cases, so the losing text is never lost. An edit that
    breaks the node's schema is not applied either: it is kept as the author's draft.

    Every edit is checked for PII and (with the openai provider) moderated first; what the
    policy blocks is kept as a quarantined revision with its findings. The check runs
    before this function touches the database, so no write transaction is open while
    the moderation call is in flight (callers open the session just for this save).
    """
    require(actor, Can.edit)
    author = actor.label
    table, version_col, id_col = _version_column(node_type)
    check = check_content(content)
    content, findings = check.content, check.records()
    node: Any = get_or_404(session, table, node_id, node_type)
    if check.blocked:
        rev = add_revision(
            session,
            course_id=node.course_id,
            node_type=node_type,
            node_id=node_id,
            content=content,
            source=source,
            status=RevisionStatus.quarantined,
            author=author,
            based_on_revision_id=node.slides_revision_id
            if node_type == NodeType.slides
            else node.current_revision_id,
            note=("blocked: " + check.summary())[:500],
            error_code=Code.CONTENT_BLOCKED,
            findings=findings,
        )
        blocked = [f.describe() for f in check.findings if f.action == "block"]
        return SaveResult(
            saved=False,
            revision_id=id_of(rev),
            version=int(getattr(node, version_col.key)),
            message=f"Not applied: the content policy blocks it ({'; '.join(blocked)}). "
            f"Your text is kept as quarantined revision {rev.id}.",
            problems=[f"blocked by the content policy: {b}" for b in blocked],
            findings=findings,
            blocked=True,
        )
    try:
        validate_content(node_type, content)
    except InvalidInput as exc:
        problems = [f"{e['field']}: {e['message']}" if e.get("field") else e["message"] for e in exc.errors]
        draft = keep_draft(
            session,
            node_type=node_type,
            node_id=node_id,
            content=content,
            problems=problems,
            actor=actor,
            findings=findings,
        )
        return SaveResult(
            saved=False,
            revision_id=id_of(draft),
            version=int(getattr(node, version_col.key)),
            message=f"Not applied: the {node_type} is not valid yet. Your text is kept as draft revision {draft.id}.",
            problems=problems,
            errors=list(exc.errors),
            findings=findings,
        )
    course_id = node.course_id
    bumped = rowcount(
        session.execute(
            update(table)
            .execution_options(synchronize_session=False)
            .where(id_col == node_id, version_col == expected_version)
            .values({version_col.key: version_col + 1})
        )
    )
    based_on = node.slides_revision_id if node_type == NodeType.slides else node.current_revision_id
    if bumped != 1:
        session.refresh(node)
        rev = add_revision(
            session,
            course_id=course_id,
            node_type=node_type,
            node_id=node_id,
            content=content,
            source=source,
            status=RevisionStatus.conflict,
            author=author,
            based_on_revision_id=based_on,
            findings=findings,
            note=note
            or f"not applied: edited version {expected_version}, but version "
            f"{getattr(node, version_col.key)} was saved first",
        )
        return SaveResult(
            saved=False,
            revision_id=id_of(rev),
            version=int(getattr(node, version_col.key)),
            message=f"Someone else saved this {node_type} first (now version "
            f"{getattr(node, version_col.key)}). Your text is kept in history as revision {rev.id}.",
            findings=findings,
        )
    rev = add_revision(
        session,
        course_id=course_id,
        node_type=node_type,
        node_id=node_id,
        content=content,
        source=source,
        author=author,
        based_on_revision_id=based_on,
        note=note,
        findings=findings,
    )
    session.refresh(node)
    make_current(session, rev)
    return SaveResult(
        saved=True,
        revision_id=id_of(rev),
        version=int(getattr(node, version_col.key)),
        findings=findings,
    )


def keep_draft(
    session: Session,
    *,
    node_type: str,
    node_id: int,
    content: dict[str, Any],
    problems: list[str],
    actor: Actor,
    findings: list[dict[str, Any]] | None = None,
) -> Revision:
    """Keep text that cannot be applied yet. One draft per author and base revision is
    updated in place, so autosaving a half-typed lesson does not flood the history.

    A draft is stored text too: unless the caller checked it already (`findings`), it is
    checked here, redacted where the policy says so, and carries its findings."""
    require(actor, Can.edit)
    author = actor.label
    if findings is None:
        check = check_content(content)
        content, findings = check.content, check.records()
    table, _version_col, _id_col = _version_column(node_type)
    node: Any = get_or_404(session, table, node_id, node_type)
    based_on = node.slides_revision_id if node_type == NodeType.slides else node.current_revision_id
    note = ("invalid: " + "; ".join(problems))[:500]
    existing = session.exec(
        select(Revision)
        .where(
            Revision.node_type == node_type,
            Revision.node_id == node_id,
            Revision.status == RevisionStatus.draft,
            Revision.source == RevisionSource.edited,
            Revision.author == author,
            Revision.based_on_revision_id == based_on,
        )
        .order_by(col(Revision.id).desc())
        .limit(1)
    ).first()
    if existing is not None:
        existing.content = content
        existing.note = note
        existing.findings = list(findings)
        existing.created_at = utcnow()
        session.add(existing)
        session.flush()
        return existing
    return add_revision(
        session,
        course_id=node.course_id,
        node_type=node_type,
        node_id=node_id,
        content=content,
        source=RevisionSource.edited,
        status=RevisionStatus.draft,
        author=author,
        based_on_revision_id=based_on,
        note=note,
        findings=findings,
    )


def history(session: Session, *, node_type: str, node_id: int) -> list[Revision]:
    return list(
        session.exec(
            select(Revision)
            .where(Revision.node_type == node_type, Revision.node_id == node_id)
            .order_by(col(Revision.id).desc())
        )
    )


def get_revision(session: Session, revision_id: int) -> Revision:
    return get_or_404(session, Revision, revision_id, "revision")


def restore(session: Session, *, revision_id: int, expected_version: int, actor: Actor) -> SaveResult:
    """Make an old revision's content current again, as a new revision."""
    require(actor, Can.edit)
    old = get_revision(session, revision_id)
    if "raw" in old.content:
        raise AppError(
            Code.VALIDATION, f"revision {revision_id} is a draft of invalid model output; edit it instead"
        )
    return save_edit(
        session,
        node_type=old.node_type,
        node_id=old.node_id,
        content=dict(old.content),
        expected_version=expected_version,
        actor=actor,
        source=RevisionSource.restored,
        note=f"restored from revision {revision_id}",
    )


def pending_proposal(session: Session, *, node_type: str, node_id: int) -> Revision | None:
    return session.exec(
        select(Revision)
        .where(
            Revision.node_type == node_type,
            Revision.node_id == node_id,
            Revision.status == RevisionStatus.proposal,
        )
        .order_by(col(Revision.id).desc())
        .limit(1)
    ).first()


def accept_proposal(session: Session, *, revision_id: int, actor: Actor) -> Revision:
    require(actor, Can.edit)
    author = actor.label
    rev = get_revision(session, revision_id)
    if rev.status != RevisionStatus.proposal:
        raise AppError(Code.VALIDATION, f"revision {revision_id} is {rev.status}, not a proposal")
    if rev.parameters.get("part") and rev.node_type == NodeType.lesson:
        # issue 13: a proposal of one part replaces only that part of today's lesson.
        rev.content = part_content(
            lesson_content(get_or_404(session, Lesson, rev.node_id, "lesson")), rev.content, rev.parameters
        )
    table, version_col, id_col = _version_column(rev.node_type)
    session.execute(
        update(table)
        .execution_options(synchronize_session=False)
        .where(id_col == rev.node_id)
        .values({version_col.key: version_col + 1})
    )
    rev.status = RevisionStatus.current
    rev.note = (rev.note + f" accepted by {author}").strip()[:500]
    session.add(rev)
    make_current(session, rev)
    return rev


def reject_proposal(session: Session, *, revision_id: int, actor: Actor) -> Revision:
    require(actor, Can.edit)
    author = actor.label
    rev = get_revision(session, revision_id)
    if rev.status != RevisionStatus.proposal:
        raise AppError(Code.VALIDATION, f"revision {revision_id} is {rev.status}, not a proposal")
    rev.status = RevisionStatus.rejected
    rev.note = (rev.note + f" rejected by {author}").strip()[:500]
    session.add(rev)
    return rev


# ------------------------------------------------------------ diffs


# issues 12, 13: the words around a node's fields in its diff text; the UI passes them in its
# language (a Russian diff said "Exercise:" and "Key points:" in English).
TEXT_LABELS = {
    "duration": "Duration: {n} min",
    "objectives": "Objectives:",
    "key_points": "Key points:",
    "exercise": "Exercise:",
    "model_answer": "Model answer:",
    "rubric": "Rubric:",
    "question": "Q:",
    "why": "Why:",
    "checks": "Checks:",
    "notes": "Notes:",
}


def content_text(node_type: str, content: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """A readable text form of a node's content, the thing diffs compare."""
    w = {**TEXT_LABELS, **(labels or {})}
    if "raw" in content:
        return str(content["raw"])
    if node_type == NodeType.video_script:  # issue-14
        return str(content.get("text", ""))
    lines: list[str] = []
    if node_type == NodeType.slides:
        # No slide numbers: a slide inserted near the top would otherwise mark every later
        # slide's heading as changed although the author never touched them (issue 12).
        for slide in content.get("slides", []):
            lines.append(f"## {slide.get('title', '')}")
            lines += [f"- {b}" for b in slide.get("bullets", [])]
            if slide.get("notes"):
                lines.append(f"{w['notes']} {slide['notes']}")
            lines.append("")
        return "\n".join(lines)
    if content.get("title"):
        lines.append(f"# {content['title']}")
    if content.get("duration_minutes"):
        lines.append(w["duration"].format(n=content["duration_minutes"]))
    if content.get("summary"):
        lines.append(str(content["summary"]))
    if content.get("objectives"):
        lines.append(w["objectives"])
        lines += [f"- {o}" for o in content["objectives"]]
    if content.get("body_md"):
        lines += ["", str(content["body_md"])]
    if content.get("key_points"):
        lines += ["", w["key_points"], *[f"- {p}" for p in content["key_points"]]]
    for ex in content.get("exercises", []) or []:
        lines += ["", f"{w['exercise']} {ex.get('title', '')}", str(ex.get("instructions", ""))]
        # issue 13: how the exercise is judged is edited too, so diffs show it.
        if ex.get("model_answer"):
            lines.append(f"{w['model_answer']} {ex['model_answer']}")
        if ex.get("rubric"):
            lines.append(f"{w['rubric']} {ex['rubric']}")
    for q in content.get("quiz", []) or []:
        lines += ["", f"{w['question']} {q.get('question', '')}"]
        lines += [
            f"  {'*' if i == q.get('answer_index') else ' '} {opt}"
            for i, opt in enumerate(q.get("options", []))
        ]
        if q.get("explanation"):
            lines.append(f"  {w['why']} {q['explanation']}")
        if q.get("objective"):
            lines.append(f"  {w['checks']} {q['objective']}")
    return "\n".join(lines)


def diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, text) pairs: -1 deleted, 0 equal, 1 inserted; cleaned up for people to read."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 1.0
    pairs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(pairs)
    return [(int(op), text) for op, text in pairs]


def diff_html_inline(pairs: list[tuple[int, str]]) -> str:
    """Inline diff as escaped HTML: every text passes html.escape, only <ins>/<del> tags added."""
    out = []
    for op, text in pairs:
        body = html.escape(text).replace("\n", "&para;<br>")
        out.append(
            f"<ins>{body}</ins>" if op == 1 else f"<del>{body}</del>" if op == -1 else f"<span>{body}</span>"
        )
    return "".join(out)


def diff_html_side_by_side(pairs: list[tuple[int, str]]) -> tuple[str, str]:
    left, right = [], []
    for op, text in pairs:
        body = html.escape(text).replace("\n", "<br>")
        if op <= 0:
            left.append(f"<del>{body}</del>" if op == -1 else f"<span>{body}</span>")
        if op >= 0:
            right.append(f"<ins>{body}</ins>" if op == 1 else f"<span>{body}</span>")
    return "".join(left), "".join(right)


# ------------------------------------------------------------ slides as editable text
# The deck is edited as Markdown-like text in the same editor as lessons:
#   ## Slide title
#   - bullet
#   Notes: speaker notes (may continue on the following lines)


def slides_to_text(content: dict[str, Any]) -> str:
    blocks = []
    for slide in content.get("slides", []):
        lines = [f"## {slide.get('title', '')}"]
        lines += [f"- {b}" for b in slide.get("bullets", [])]
        if slide.get("notes"):
            lines.append(f"Notes: {slide['notes']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def slides_from_text(text: str) -> dict[str, Any]:
    """Parse the editor text back into deck content; lines before the first title are refused."""

    slides: list[dict[str, Any]] = []
    in_notes = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("## ") or line == "##":
            slides.append({"title": line[2:].strip(), "bullets": [], "notes": ""})
            in_notes = False
            continue
        if not line:
            continue
        if not slides:
            raise InvalidInput(
                "the deck text is not valid",
                [
                    {
                        "field": f"line {n}",
                        "message": "start each slide with a '## Title' line",
                        # issue-12: the UI says it in the person's language by this type.
                        "type": "deck_no_title",
                        "ctx": {"line": n},
                    }
                ],
            )
        slide = slides[-1]
        if line.lower().startswith("notes:"):
            in_notes = True
            slide["notes"] = line[6:].strip()
        elif in_notes:
            slide["notes"] = f"{slide['notes']}\n{line}".strip()
        elif line[:2] in ("- ", "* "):
            slide["bullets"].append(line[2:].strip())
        else:
            slide["bullets"].append(line)
    return {"slides": slides}

"""The course tree: create from parameters, read as one document, list, duplicate, archive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.db import get_or_404, id_of
from core.errors import AppError, Code, ConflictError, InvalidInput, NotFound, field_errors
from core.models import (
    Course,
    CourseStep,
    HeygenRender,
    Lesson,
    Module,
    Revision,
    RevisionSource,
    SlideRow,
    Video,
    VideoScript,
    utcnow,
)
from core.provenance import Provenance as RevProvenance
from core.provenance import call_fields
from core.schemas import CourseParams, OutlineLesson
from core.services.content_check import check_content
from core.services.revisions import add_revision, lesson_content, module_content, slides_content


class Provenance(BaseModel):
    revision_id: int | None = None
    source: str | None = None
    prompt_id: str | None = None
    prompt_version: str | None = None
    prompt_checksum: str | None = None
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    generated_at: datetime | None = None
    author: str | None = None


class SlideDoc(BaseModel):
    title: str
    bullets: list[str]
    notes: str = ""


class LessonDoc(BaseModel):
    id: int
    position: int
    title: str
    objectives: list[str]
    duration_minutes: int
    body_md: str
    key_points: list[str]
    exercises: list[dict[str, Any]]
    quiz: list[dict[str, Any]]
    detail_status: str
    slides_status: str
    locked: bool
    version: int
    slides: list[SlideDoc]
    provenance: Provenance | None = None
    slides_provenance: Provenance | None = None


class ModuleDoc(BaseModel):
    id: int
    position: int
    title: str
    summary: str
    objectives: list[str]
    locked: bool
    version: int
    lessons: list[LessonDoc]
    provenance: Provenance | None = None

    @property
    def duration_minutes(self) -> int:
        return sum(lesson.duration_minutes for lesson in self.lessons)


class CourseDoc(BaseModel):
    id: int
    title: str
    summary: str
    language: str
    step: str
    archived: bool
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    modules: list[ModuleDoc]
    provenance: Provenance | None = None

    @property
    def lessons(self) -> list[LessonDoc]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @property
    def duration_minutes(self) -> int:
        return sum(m.duration_minutes for m in self.modules)


def validate_params(data: dict[str, Any]) -> CourseParams:
    """Parse form or CLI input; every invalid field is listed in the error."""
    try:
        return CourseParams.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("course parameters are invalid", field_errors(exc)) from exc


def create_course(session: Session, *, actor: Actor, params: CourseParams) -> Course:
    require(actor, Can.edit)
    course = Course(
        title=params.topic[:200],
        params=params.model_dump(mode="json"),
        language=params.language.value,
        step=CourseStep.parameters,
    )
    session.add(course)
    session.flush()
    return course


def get_course(session: Session, course_id: int) -> Course:
    return get_or_404(session, Course, course_id, "course")


def list_courses(session: Session, *, include_archived: bool = False) -> list[Course]:
    query = select(Course).order_by(col(Course.updated_at).desc())
    if not include_archived:
        query = query.where(col(Course.archived).is_(False))
    return list(session.exec(query))


def course_params(course: Course) -> CourseParams:
    return CourseParams.model_validate(course.params)


def modules_of(session: Session, course_id: int) -> list[Module]:
    return list(
        session.exec(
            select(Module).where(Module.course_id == course_id).order_by(col(Module.position), col(Module.id))
        )
    )


def lessons_of(session: Session, course_id: int) -> list[Lesson]:
    """Lessons in reading order: module position, then lesson position."""
    modules = {m.id: m.position for m in modules_of(session, course_id)}
    lessons = list(session.exec(select(Lesson).where(Lesson.course_id == course_id)))
    return sorted(lessons, key=lambda lsn: (modules.get(lsn.module_id, 0), lsn.position, lsn.id or 0))


def _provenance(rev: Revision | None) -> Provenance | None:
    if rev is None:
        return None
    return Provenance(
        revision_id=rev.id,
        source=rev.source,
        generated_at=rev.created_at,
        author=rev.author,
        **call_fields(rev),
    )


def load_course(session: Session, course_id: int) -> CourseDoc:
    """The whole current tree in a few queries (no per-lesson round trips)."""
    course = get_course(session, course_id)
    modules = modules_of(session, course_id)
    lessons = lessons_of(session, course_id)
    lesson_ids = [lsn.id for lsn in lessons]
    slides: dict[int, list[SlideRow]] = {}
    if lesson_ids:
        for row in session.exec(
            select(SlideRow).where(col(SlideRow.lesson_id).in_(lesson_ids)).order_by(col(SlideRow.position))
        ):
            slides.setdefault(row.lesson_id, []).append(row)
    rev_ids = {m.current_revision_id for m in modules} | {
        r for lsn in lessons for r in (lsn.current_revision_id, lsn.slides_revision_id)
    }
    rev_ids.discard(None)
    revisions = (
        {r.id: r for r in session.exec(select(Revision).where(col(Revision.id).in_(rev_ids)))}
        if rev_ids
        else {}
    )
    course_rev = session.exec(
        select(Revision)
        .where(Revision.node_type == "course", Revision.node_id == course_id, Revision.status == "current")
        .order_by(col(Revision.id).desc())
        .limit(1)
    ).first()

    by_module: dict[int, list[LessonDoc]] = {}
    for lsn in lessons:
        by_module.setdefault(lsn.module_id, []).append(
            LessonDoc(
                id=id_of(lsn),
                position=lsn.position,
                title=lsn.title,
                objectives=list(lsn.objectives),
                duration_minutes=lsn.duration_minutes,
                body_md=lsn.body_md,
                key_points=list(lsn.key_points),
                exercises=list(lsn.exercises),
                quiz=list(lsn.quiz),
                detail_status=lsn.detail_status,
                slides_status=lsn.slides_status,
                locked=lsn.locked,
                version=lsn.version,
                slides=[
                    SlideDoc(title=s.title, bullets=list(s.bullets), notes=s.notes)
                    for s in slides.get(id_of(lsn), [])
                ],
                provenance=_provenance(revisions.get(lsn.current_revision_id)),
                slides_provenance=_provenance(revisions.get(lsn.slides_revision_id)),
            )
        )
    return CourseDoc(
        id=id_of(course),
        title=course.title,
        summary=course.summary,
        language=course.language,
        step=course.step,
        archived=course.archived,
        params=dict(course.params),
        created_at=course.created_at,
        updated_at=course.updated_at,
        provenance=_provenance(course_rev),
        modules=[
            ModuleDoc(
                id=id_of(m),
                position=m.position,
                title=m.title,
                summary=m.summary,
                objectives=list(m.objectives),
                locked=m.locked,
                version=m.version,
                lessons=by_module.get(id_of(m), []),
                provenance=_provenance(revisions.get(m.current_revision_id)),
            )
            for m in modules
        ],
    )


def touch(session: Session, course_id: int, *, step: str | None = None) -> None:
    course = get_course(session, course_id)
    course.updated_at = utcnow()
    if step is not None:
        course.step = step
    session.add(course)


# ------------------------------------------------------------------ outline editing
# The Structure step edits the tree before the expensive lesson generation. Lesson
# outline fields (title, objectives, duration) are metadata, not co-edited text, so
# they do not bump the lesson's optimistic version; module text goes through
# revisions.save_edit so it keeps a history.


def get_module(session: Session, module_id: int) -> Module:
    return get_or_404(session, Module, module_id, "module")


def get_lesson(session: Session, lesson_id: int) -> Lesson:
    return get_or_404(session, Lesson, lesson_id, "lesson")


def _refuse_locked(node: Module | Lesson, what: str) -> None:
    if node.locked:
        raise InvalidInput(
            f"{what} {node.id} is locked",
            [{"field": "locked", "message": "unlock it first", "type": "node_locked"}],  # typed: issue-12
        )


def outline_text_checked(content: dict[str, Any]) -> dict[str, Any]:
    """issue 9: titles and objectives typed on the Structure page are stored without a
    revision, so they get the offline PII scan only (no HTTP inside the caller's write
    transaction): blocked kinds are refused naming the field, redact kinds are replaced."""

    checked = check_content(content, moderate=None)
    blocked = [f.describe() for f in checked.findings if f.action == "block"]
    if blocked:
        raise AppError(Code.CONTENT_BLOCKED, "not saved: the content policy blocks " + "; ".join(blocked))
    return checked.content


def update_lesson_outline(
    session: Session,
    *,
    actor: Actor,
    lesson_id: int,
    title: str,
    objectives: list[str],
    duration_minutes: int,
) -> Lesson:
    require(actor, Can.edit)

    checked = outline_text_checked({"title": title, "objectives": list(objectives)})
    title, objectives = checked["title"], checked["objectives"]

    try:
        valid = OutlineLesson.model_validate(
            {"title": title, "objectives": objectives, "duration_minutes": duration_minutes}
        )
    except ValidationError as exc:
        raise InvalidInput("the lesson outline is invalid", field_errors(exc)) from exc
    lesson = get_lesson(session, lesson_id)
    _refuse_locked(lesson, "lesson")
    lesson.title = valid.title
    lesson.objectives = list(valid.objectives)
    lesson.duration_minutes = valid.duration_minutes
    lesson.updated_at = utcnow()
    session.add(lesson)
    return lesson


def _renumber(session: Session, nodes: list[Any]) -> None:
    for i, node in enumerate(nodes):
        if node.position != i:
            node.position = i
            session.add(node)


def _lessons_in(session: Session, module_id: int) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson).where(Lesson.module_id == module_id).order_by(col(Lesson.position), col(Lesson.id))
        )
    )


def add_module(
    session: Session, *, actor: Actor, course_id: int, title: str, objectives: list[str] | None = None
) -> Module:
    require(actor, Can.edit)
    title = outline_text_checked({"title": title})["title"]
    get_course(session, course_id)
    module = Module(
        course_id=course_id,
        position=len(modules_of(session, course_id)),
        title=title.strip()[:200] or "New module",
        objectives=list(objectives or []),
    )
    session.add(module)
    session.flush()
    return module


def add_lesson(
    session: Session,
    *,
    actor: Actor,
    module_id: int,
    title: str,
    duration_minutes: int = 10,
    objectives: list[str] | None = None,
) -> Lesson:
    require(actor, Can.edit)
    title = outline_text_checked({"title": title})["title"]
    module = get_module(session, module_id)
    lesson = Lesson(
        course_id=module.course_id,
        module_id=module_id,
        position=len(_lessons_in(session, module_id)),
        title=title.strip()[:200] or "New lesson",
        duration_minutes=max(1, duration_minutes),
        objectives=list(objectives or []),
    )
    session.add(lesson)
    session.flush()
    return lesson


def _delete_lesson_rows(session: Session, lesson: Lesson) -> None:
    # Revisions stay: they are the history, and a deleted node's text can be read back.
    for slide in session.exec(select(SlideRow).where(SlideRow.lesson_id == lesson.id)):
        session.delete(slide)
    # issue-14: the lesson's video rows go too (their files stay under FILES_DIR/videos).

    for table in (Video, HeygenRender, VideoScript):
        for row in session.exec(select(table).where(table.lesson_id == lesson.id)):
            session.delete(row)
    session.flush()  # no ORM relationships: slides must go before their lesson
    session.delete(lesson)
    session.flush()


# ---------------------------------------------------------------- delete, and undo (issue-12)
# A delete keeps every row it removes (module, lessons with their text, slides) in a
# revision of status "deleted"; undo puts them back under their old ids, so their history
# (revisions are keyed by node id) is theirs again. Nothing is lost to one click.


def _rows(lessons: list[Lesson], session: Session) -> dict[str, Any]:
    return {
        "lessons": [lesson.model_dump(mode="json") for lesson in lessons],
        "slides": [
            s.model_dump(mode="json")
            for lesson in lessons
            for s in session.exec(select(SlideRow).where(SlideRow.lesson_id == lesson.id))
        ],
    }


def _keep_deleted(
    session: Session, *, course_id: int, node_type: str, node_id: int, content: dict[str, Any], author: str
) -> Revision:
    rev = Revision(
        course_id=course_id,
        node_type=node_type,
        node_id=node_id,
        content=content,
        source="edited",
        status="deleted",
        author=author[:120],
        note="deleted",
    )
    session.add(rev)
    session.flush()
    return rev


def delete_lesson(session: Session, *, actor: Actor, lesson_id: int) -> Revision:
    """Delete a lesson; the returned revision holds it for `undo_delete`."""
    require(actor, Can.edit)
    author = actor.label
    lesson = get_lesson(session, lesson_id)
    _refuse_locked(lesson, "lesson")
    module_id = lesson.module_id
    content = {"title": lesson.title, "objectives": list(lesson.objectives), "body_md": lesson.body_md}
    kept = _keep_deleted(
        session,
        course_id=lesson.course_id,
        node_type="lesson",
        node_id=lesson_id,
        content={**content, "_deleted": _rows([lesson], session)},
        author=author,
    )
    _delete_lesson_rows(session, lesson)
    session.flush()
    _renumber(session, _lessons_in(session, module_id))
    return kept


def delete_module(session: Session, *, actor: Actor, module_id: int) -> Revision:
    """Delete a module with its lessons; the returned revision holds them for `undo_delete`."""
    require(actor, Can.edit)
    author = actor.label
    module = get_module(session, module_id)
    _refuse_locked(module, "module")
    lessons = _lessons_in(session, module_id)
    if any(lesson.locked for lesson in lessons):
        raise InvalidInput(
            f"module {module_id} has locked lessons",
            [{"field": "locked", "message": "unlock them first", "type": "lessons_locked"}],
        )
    kept = _keep_deleted(
        session,
        course_id=module.course_id,
        node_type="module",
        node_id=module_id,
        content={
            "title": module.title,
            "summary": module.summary,
            "objectives": list(module.objectives),
            "_deleted": {"module": module.model_dump(mode="json"), **_rows(lessons, session)},
        },
        author=author,
    )
    for lesson in lessons:
        _delete_lesson_rows(session, lesson)
    session.flush()
    session.delete(module)
    session.flush()
    _renumber(session, modules_of(session, module.course_id))
    return kept


def deleted_items(session: Session, course_id: int) -> list[Revision]:
    """What can still be put back, newest first."""
    query = (
        select(Revision)
        .where(Revision.course_id == course_id, Revision.status == "deleted")
        .order_by(col(Revision.id).desc())
    )
    return list(session.exec(query))


def _put_back(session: Session, model: type[Any], data: dict[str, Any], **changes: Any) -> Any:
    row = model.model_validate({**data, **changes})
    if session.get(model, row.id) is not None:
        row.id = None  # the old id was taken meanwhile: a new one (its history stays with the old)
    session.add(row)
    session.flush()
    return row


def undo_delete(session: Session, *, actor: Actor, revision_id: int) -> None:
    """Put a deleted module or lesson back where it was, with its text and slides."""
    require(actor, Can.edit)
    author = actor.label
    rev = session.get(Revision, revision_id)
    if rev is None or rev.status != "deleted":
        raise NotFound("deleted item", revision_id)
    kept = dict(rev.content.get("_deleted") or {})
    if "module" in kept:
        module = _put_back(session, Module, kept["module"], position=10_000)
        siblings = [m for m in modules_of(session, rev.course_id) if m.id != module.id]
        siblings.insert(min(int(kept["module"].get("position", 0)), len(siblings)), module)
        _renumber(session, siblings)
        module_id = id_of(module)
    else:
        module_id = int(kept["lessons"][0]["module_id"])
        if session.get(Module, module_id) is None:
            raise InvalidInput(
                "the lesson's module was deleted too",
                [
                    {
                        "field": "module",
                        "message": "put its module back first, then the lesson",
                        "type": "module_deleted",
                    }
                ],
            )
    new_ids: dict[int, int] = {}
    for data in kept.get("lessons", []):
        lesson = _put_back(session, Lesson, data, module_id=module_id)
        new_ids[int(data["id"])] = id_of(lesson)
    for data in kept.get("slides", []):
        _put_back(session, SlideRow, data, lesson_id=new_ids.get(int(data["lesson_id"]), data["lesson_id"]))
    if "module" not in kept and kept.get("lessons"):
        restored = session.get(Lesson, next(iter(new_ids.values())))
        assert restored is not None  # put back just above
        neighbours = [x for x in _lessons_in(session, module_id) if x.id != restored.id]
        neighbours.insert(min(int(kept["lessons"][0].get("position", 0)), len(neighbours)), restored)
        _renumber(session, neighbours)
    rev.status = "current"
    rev.note = f"undone delete by {author}"[:500]
    session.add(rev)
    session.flush()


def _move(session: Session, siblings: list[Any], node_id: int, offset: int) -> None:
    ids = [n.id for n in siblings]
    i = ids.index(node_id)
    j = max(0, min(len(siblings) - 1, i + offset))
    siblings.insert(j, siblings.pop(i))
    _renumber(session, siblings)


def move_module(session: Session, *, actor: Actor, module_id: int, offset: int) -> None:
    """Move a module up (negative offset) or down among its course's modules."""
    require(actor, Can.edit)
    module = get_module(session, module_id)
    _move(session, modules_of(session, module.course_id), module_id, offset)


def move_lesson(session: Session, *, actor: Actor, lesson_id: int, offset: int) -> None:
    require(actor, Can.edit)
    lesson = get_lesson(session, lesson_id)
    _move(session, _lessons_in(session, lesson.module_id), lesson_id, offset)


def set_locked(session: Session, *, actor: Actor, node_type: str, node_id: int, locked: bool) -> None:
    """A locked node is skipped by generation and refused by regeneration."""
    require(actor, Can.edit)
    node = get_module(session, node_id) if node_type == "module" else get_lesson(session, node_id)
    node.locked = locked
    session.add(node)


# ------------------------------------------------------------------ course lifecycle


def set_archived(session: Session, *, actor: Actor, course_id: int, archived: bool) -> Course:
    require(actor, Can.edit)
    course = get_course(session, course_id)
    course.archived = archived
    course.updated_at = utcnow()
    session.add(course)
    return course


def duplicate_course(session: Session, *, course_id: int, actor: Actor) -> Course:
    """Copy the current tree into a new course; each copied node starts its history with
    an `imported` revision that keeps the original's provenance."""
    require(actor, Can.edit)

    src = get_course(session, course_id)
    copy = Course(
        title=f"{src.title} (copy)"[:200],
        params=dict(src.params),
        language=src.language,
        summary=src.summary,
        step=src.step,
    )
    session.add(copy)
    session.flush()
    new_id = id_of(copy)

    def prov(rev_id: int | None) -> RevProvenance | None:
        return RevProvenance.of(session.get(Revision, rev_id) if rev_id else None)

    def record(node_type: str, node_id: int, content: dict[str, Any], rev_id: int | None) -> int:
        rev = add_revision(
            session,
            course_id=new_id,
            node_type=node_type,
            node_id=node_id,
            content=content,
            source=RevisionSource.imported,
            provenance=prov(rev_id),
            author=actor.label,
            note=f"duplicated from course {course_id}",
        )
        return id_of(rev)

    for module in modules_of(session, course_id):
        new_module = Module(
            course_id=new_id,
            position=module.position,
            title=module.title,
            summary=module.summary,
            objectives=list(module.objectives),
            locked=module.locked,
        )
        session.add(new_module)
        session.flush()
        new_module.current_revision_id = record(
            "module", id_of(new_module), module_content(new_module), module.current_revision_id
        )
        for lesson in _lessons_in(session, id_of(module)):
            new_lesson = Lesson(
                course_id=new_id,
                module_id=id_of(new_module),
                **{
                    f: getattr(lesson, f)
                    for f in (
                        "position",
                        "title",
                        "objectives",
                        "duration_minutes",
                        "body_md",
                        "key_points",
                        "exercises",
                        "quiz",
                        "detail_status",
                        "slides_status",
                        "locked",
                    )
                },
            )
            session.add(new_lesson)
            session.flush()
            lid = id_of(new_lesson)
            if lesson.body_md:
                new_lesson.current_revision_id = record(
                    "lesson", lid, lesson_content(new_lesson), lesson.current_revision_id
                )
            deck = slides_content(session, id_of(lesson))
            for i, slide in enumerate(deck["slides"]):
                session.add(SlideRow(lesson_id=lid, position=i, **slide))
            if deck["slides"]:
                new_lesson.slides_revision_id = record("slides", lid, deck, lesson.slides_revision_id)
            session.add(new_lesson)
    session.flush()
    return copy


def update_params(session: Session, *, actor: Actor, course_id: int, params: CourseParams) -> Course:
    """New parameters shape future generations; nothing already written changes."""
    require(actor, Can.edit)
    course = get_course(session, course_id)
    course.params = params.model_dump(mode="json")
    course.language = params.language.value
    if course.step == CourseStep.parameters:
        course.title = params.topic[:200]
    course.updated_at = utcnow()
    session.add(course)
    return course


# ---------------------------------------------------------------- title and summary (issue-12)


class CourseText(BaseModel):
    title: str = Field(min_length=3, max_length=200)
    summary: str = Field(default="", max_length=4000)


def update_course_text(
    session: Session, *, actor: Actor, course_id: int, title: str, summary: str, expected_version: int
) -> Course:
    """Edit the course's title and summary; the old and new text are both kept as
    revisions of the course node, so the change shows in its history and can be compared."""
    require(actor, Can.edit)
    author = actor.label

    try:
        valid = CourseText.model_validate({"title": title.strip(), "summary": summary.strip()})
    except ValidationError as exc:
        raise InvalidInput("the course title or summary is invalid", field_errors(exc)) from exc
    course = get_course(session, course_id)
    if course.version != expected_version:
        raise ConflictError(f"course {course_id} was changed meanwhile (now version {course.version})")
    if (course.title, course.summary) == (valid.title, valid.summary):
        return course
    if not session.exec(
        select(Revision.id).where(
            Revision.node_type == "course",
            Revision.node_id == course_id,
            Revision.note == "title and summary",
        )
    ).first():
        # The first edit also records what was there before, so the first diff has two sides.
        session.add(
            Revision(
                course_id=course_id,
                node_type="course",
                node_id=course_id,
                content={"title": course.title, "summary": course.summary},
                source="generated",
                status="current",
                author="system",
                note="title and summary",
            )
        )
    session.add(
        Revision(
            course_id=course_id,
            node_type="course",
            node_id=course_id,
            content={"title": valid.title, "summary": valid.summary},
            source="edited",
            status="current",
            author=author[:120],
            note="title and summary",
        )
    )
    course.title, course.summary = valid.title, valid.summary
    course.version += 1
    course.updated_at = utcnow()
    session.add(course)
    session.flush()
    return course


def course_text_history(session: Session, course_id: int) -> list[Revision]:
    query = (
        select(Revision)
        .where(
            Revision.node_type == "course",
            Revision.node_id == course_id,
            Revision.note == "title and summary",
        )
        .order_by(col(Revision.id).desc())
    )
    return list(session.exec(query))


def replanned_written_lessons(
    session: Session, module_id: int, content: dict[str, Any]
) -> list[tuple[str, str]]:
    """(old title, new title) of every written, unlocked lesson a module proposal would
    re-plan: its text stays, but under a new title and objectives (issue-12 warns first)."""
    planned = list(content.get("lessons") or [])
    out = []
    for lesson, plan in zip(_lessons_in(session, module_id), planned, strict=False):
        new_title = str(plan.get("title", lesson.title))[:200]
        if lesson.body_md and not lesson.locked and new_title != lesson.title:
            out.append((lesson.title, new_title))
    return out

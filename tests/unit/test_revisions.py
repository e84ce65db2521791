"""Edits that cannot be applied are kept, never lost; history and diffs read well."""

from __future__ import annotations

from sqlmodel import select

from core.db import session_scope
from core.models import Lesson, Revision, RevisionStatus
from core.services import revisions
from tests.actors import person
from tests.factories import make_course


def _lesson() -> Lesson:
    with session_scope() as session:
        make_course(session, modules=1, lessons=1, slides=3)
    with session_scope() as session:
        return session.exec(select(Lesson)).one()


def test_invalid_edit_is_kept_as_one_draft_and_not_applied(any_db: str) -> None:
    lesson = _lesson()
    for text in ("Too short", "Still too short, but longer"):
        with session_scope() as session:
            result = revisions.save_edit(
                session,
                node_type="lesson",
                node_id=int(lesson.id or 0),
                content={**revisions.lesson_content(lesson), "body_md": text},
                expected_version=lesson.version,
                actor=person("ann"),
            )
        assert not result.saved and result.problems and "body_md" in result.problems[0]
    with session_scope() as session:
        drafts = session.exec(select(Revision).where(Revision.status == RevisionStatus.draft)).all()
        current = session.get(Lesson, lesson.id)
    assert len(drafts) == 1  # updated in place while the author keeps typing
    assert drafts[0].content["body_md"] == "Still too short, but longer" and drafts[0].author == "ann"
    assert current.body_md == lesson.body_md and current.version == lesson.version

    # once valid, the edit applies as usual
    with session_scope() as session:
        ok = revisions.save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content={**revisions.lesson_content(lesson), "body_md": "A proper lesson body. " * 12},
            expected_version=lesson.version,
            actor=person("ann"),
        )
    assert ok.saved and ok.version == lesson.version + 1


def test_unparseable_deck_text_is_kept_verbatim(db: str) -> None:
    lesson = _lesson()
    with session_scope() as session:
        rev = revisions.keep_draft(
            session,
            node_type="slides",
            node_id=int(lesson.id or 0),
            content={"raw": "## \n- "},
            problems=["slides: no title"],
            actor=person("bob"),
        )
    with session_scope() as session:
        kept = session.get(Revision, rev.id)
    assert kept.status == RevisionStatus.draft and kept.content == {"raw": "## \n- "}
    assert revisions.content_text("slides", kept.content) == "## \n- "


def test_inline_diff_escapes_text_and_marks_changes() -> None:
    pairs = revisions.diff("Hello <b>world</b>", "Hello <script>x</script> world")
    html = revisions.diff_html_inline(pairs)
    assert "<script" not in html and "<b>" not in html and "script&gt;" in html
    assert "<ins>" in html and "<del>" in html
    left, right = revisions.diff_html_side_by_side(pairs)
    assert "<ins>" not in left and "<del>" not in right

"""Structure page (issue 12): deleting a module asks first and names its written lessons;
Undo puts it back; a later delete is restorable from "Deleted items"."""

from __future__ import annotations

from core.db import session_scope
from core.services.courses import load_course
from tests.app.conftest import open_page, texts


def _modules(course_id: int) -> list[str]:
    with session_scope() as session:
        return [m.title for m in load_course(session, course_id).modules]


def test_delete_asks_first_then_undo_puts_it_back(course_id: int) -> None:
    before = _modules(course_id)
    at = open_page("structure", course_id=course_id)
    module_id = int(at.selectbox(key=f"structure-{course_id}-module").value)
    at.button(key=f"module-{module_id}-delete").click().run()
    assert _modules(course_id) == before, "nothing is deleted before the confirmation"
    shown = texts(at)
    assert "Delete the module" in shown and "written lessons, which will be removed" in shown
    at.button(key=f"cancel-delete-module-{module_id}").click().run()
    assert _modules(course_id) == before

    at.button(key=f"module-{module_id}-delete").click().run()
    at.button(key=f"confirm-delete-module-{module_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _modules(course_id) == before[1:]
    undo = [b for b in at.button if b.label == "Undo"]
    assert undo, [b.label for b in at.button]
    undo[0].click().run()
    assert _modules(course_id) == before


def test_deleted_items_can_be_put_back_later(course_id: int) -> None:
    before = _modules(course_id)
    at = open_page("structure", course_id=course_id)
    module_id = int(at.selectbox(key=f"structure-{course_id}-module").value)
    at.button(key=f"module-{module_id}-delete").click().run()
    at.button(key=f"confirm-delete-module-{module_id}").click().run()
    assert _modules(course_id) == before[1:]
    # A new session: no Undo notice, but the item is listed and restorable.
    at = open_page("structure", course_id=course_id)
    assert "Deleted items (1)" in "\n".join(e.label for e in at.expander)
    put_back = [b for b in at.button if b.label == "Put back"]
    put_back[0].click().run()
    assert _modules(course_id) == before


def test_course_title_and_summary_are_editable_with_history(course_id: int) -> None:
    from core.services.courses import course_text_history

    at = open_page("structure", course_id=course_id)
    title = next(
        w for w in at.text_input if w.key.endswith("-title") and w.key.startswith(f"course-{course_id}-")
    )
    summary = next(w for w in at.text_area if w.key.endswith("-summary"))
    old_title = title.value
    title.set_value("Pandas for analysts, revised")
    summary.set_value("A shorter summary.")
    next(b for b in at.button if b.label == "Save title and summary").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with session_scope() as session:
        doc = load_course(session, course_id)
        revisions = course_text_history(session, course_id)
    assert (doc.title, doc.summary) == ("Pandas for analysts, revised", "A shorter summary.")
    assert [r.content["title"] for r in revisions] == ["Pandas for analysts, revised", old_title]
    # Too short a title is refused with the field named, and nothing changes.
    at = open_page("structure", course_id=course_id)
    title = next(
        w for w in at.text_input if w.key.endswith("-title") and w.key.startswith(f"course-{course_id}-")
    )
    title.set_value("x")
    next(b for b in at.button if b.label == "Save title and summary").click().run()
    assert "title" in texts(at) and "enter at least 3 characters" in texts(at)
    with session_scope() as session:
        assert load_course(session, course_id).title == "Pandas for analysts, revised"

"""Nothing lost to one click (issue 12): a deleted module or lesson comes back with its
text, slides and history, where it was."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.errors import AppError
from core.models import NodeType
from core.services import courses as svc
from core.services.revisions import history
from tests.actors import ADMIN, person
from tests.factories import make_course

ANN = person("ann")


@pytest.fixture
def cid(any_db: str) -> int:
    with session_scope() as session:
        return make_course(session, modules=2, lessons=3, slides=2)


def _tree(cid: int) -> list[tuple[str, list[tuple[int, str, str, int]]]]:
    with session_scope() as session:
        doc = svc.load_course(session, cid)
    return [(m.title, [(x.id, x.title, x.body_md, len(x.slides)) for x in m.lessons]) for m in doc.modules]


def test_a_deleted_lesson_comes_back_in_place_with_text_slides_and_history(cid: int) -> None:
    before = _tree(cid)
    lesson_id = before[0][1][1][0]
    with session_scope() as session:
        revisions_before = len(history(session, node_type=NodeType.lesson, node_id=lesson_id))
        kept = svc.delete_lesson(session, lesson_id=lesson_id, actor=ANN)
        kept_id = int(kept.id or 0)
    assert [x[0] for x in _tree(cid)[0][1]] == [before[0][1][0][0], before[0][1][2][0]]
    with session_scope() as session:
        assert [r.id for r in svc.deleted_items(session, cid)] == [kept_id]
        svc.undo_delete(session, revision_id=kept_id, actor=ANN)
    assert _tree(cid) == before
    with session_scope() as session:
        assert svc.deleted_items(session, cid) == []
        assert len(history(session, node_type=NodeType.lesson, node_id=lesson_id)) >= revisions_before


def test_a_deleted_module_comes_back_with_all_its_lessons(cid: int) -> None:
    before = _tree(cid)
    with session_scope() as session:
        module_id = svc.load_course(session, cid).modules[0].id
        kept_id = int(svc.delete_module(session, actor=ADMIN, module_id=module_id).id or 0)
    assert len(_tree(cid)) == 1
    with session_scope() as session:
        svc.undo_delete(session, actor=ADMIN, revision_id=kept_id)
    assert _tree(cid) == before


def test_a_lesson_whose_module_is_gone_asks_for_the_module_first(cid: int) -> None:
    with session_scope() as session:
        doc = svc.load_course(session, cid)
        lesson_rev = svc.delete_lesson(session, actor=ADMIN, lesson_id=doc.modules[0].lessons[0].id)
        module_rev = svc.delete_module(session, actor=ADMIN, module_id=doc.modules[0].id)
        lesson_rev_id, module_rev_id = int(lesson_rev.id or 0), int(module_rev.id or 0)
    with pytest.raises(AppError, match="module was deleted"), session_scope() as session:
        svc.undo_delete(session, actor=ADMIN, revision_id=lesson_rev_id)
    with session_scope() as session:
        svc.undo_delete(session, actor=ADMIN, revision_id=module_rev_id)
        svc.undo_delete(session, actor=ADMIN, revision_id=lesson_rev_id)
    assert len(_tree(cid)[0][1]) == 3


def test_a_module_proposal_names_the_written_lessons_it_would_replan(cid: int) -> None:
    with session_scope() as session:
        module = svc.load_course(session, cid).modules[0]
        titles = [x.title for x in module.lessons]
        content = {"lessons": [{"title": titles[0]}, {"title": "A new plan"}, {"title": "Another"}]}
        replanned = svc.replanned_written_lessons(session, module.id, content)
    assert replanned == [(titles[1], "A new plan"), (titles[2], "Another")]

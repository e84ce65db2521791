"""Outline editing, course lifecycle, deck text and cost breakdowns (core, no Streamlit)."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.errors import InvalidInput
from core.models import LLMCall
from core.services import courses as svc
from core.services.analytics import CostFilter, grouped, totals
from core.services.revisions import history, slides_content, slides_from_text, slides_to_text
from tests.actors import ADMIN, person
from tests.factories import make_course


@pytest.fixture
def cid(db: str) -> int:
    with session_scope() as session:
        return make_course(session, modules=2, lessons=3, slides=3, language="en")


def test_rename_and_retime_a_lesson(cid: int) -> None:
    with session_scope() as session:
        lesson = svc.load_course(session, cid).lessons[0]
        svc.update_lesson_outline(
            session,
            actor=ADMIN,
            lesson_id=lesson.id,
            title="Renamed",
            objectives=["Do it"],
            duration_minutes=25,
        )
    with session_scope() as session:
        after = svc.load_course(session, cid).lessons[0]
    assert (after.title, after.objectives, after.duration_minutes) == ("Renamed", ["Do it"], 25)


def test_invalid_lesson_outline_is_refused_field_by_field(cid: int) -> None:
    with session_scope() as session:
        lesson_id = svc.load_course(session, cid).lessons[0].id
        with pytest.raises(InvalidInput) as err:
            svc.update_lesson_outline(
                session, actor=ADMIN, lesson_id=lesson_id, title="x", objectives=[], duration_minutes=0
            )
    fields = {e["field"] for e in err.value.errors}
    assert {"title", "objectives", "duration_minutes"} <= fields


def test_reorder_add_delete_keep_positions_dense(cid: int) -> None:
    with session_scope() as session:
        doc = svc.load_course(session, cid)
        first, second = doc.modules[0].lessons[:2]
        svc.move_lesson(session, actor=ADMIN, lesson_id=first.id, offset=1)
        svc.move_module(session, actor=ADMIN, module_id=doc.modules[1].id, offset=-1)
        svc.add_lesson(session, actor=ADMIN, module_id=doc.modules[0].id, title="Extra")
        svc.delete_lesson(session, actor=ADMIN, lesson_id=second.id)
    with session_scope() as session:
        doc2 = svc.load_course(session, cid)
    assert doc2.modules[0].id == doc.modules[1].id
    moved = next(m for m in doc2.modules if m.id == doc.modules[0].id)
    assert moved.lessons[0].title == first.title
    assert moved.lessons[-1].title == "Extra"
    assert [lsn.position for lsn in moved.lessons] == list(range(len(moved.lessons)))


def test_locked_nodes_cannot_be_deleted(cid: int) -> None:
    with session_scope() as session:
        doc = svc.load_course(session, cid)
        svc.set_locked(session, actor=ADMIN, node_type="lesson", node_id=doc.lessons[0].id, locked=True)
    with session_scope() as session, pytest.raises(InvalidInput):
        svc.delete_module(session, actor=ADMIN, module_id=doc.modules[0].id)
    with session_scope() as session, pytest.raises(InvalidInput):
        svc.delete_lesson(session, actor=ADMIN, lesson_id=doc.lessons[0].id)


def test_delete_module_and_add_module(cid: int) -> None:
    with session_scope() as session:
        doc = svc.load_course(session, cid)
        svc.delete_module(session, actor=ADMIN, module_id=doc.modules[0].id)
        added = svc.add_module(session, actor=ADMIN, course_id=cid, title="Appendix", objectives=["Wrap up"])
    with session_scope() as session:
        doc2 = svc.load_course(session, cid)
    assert [m.id for m in doc2.modules] == [doc.modules[1].id, added.id]
    assert [m.position for m in doc2.modules] == [0, 1]


def test_duplicate_archive_restore(cid: int) -> None:
    with session_scope() as session:
        copy = svc.duplicate_course(session, course_id=cid, actor=person("ann"))
    with session_scope() as session:
        original, dup = svc.load_course(session, cid), svc.load_course(session, int(copy.id or 0))
        assert [lsn.body_md for lsn in dup.lessons] == [lsn.body_md for lsn in original.lessons]
        assert [lsn.slides for lsn in dup.lessons] == [lsn.slides for lsn in original.lessons]
        revs = history(session, node_type="lesson", node_id=dup.lessons[0].id)
        assert (
            revs[0].source == "imported"
            and revs[0].prompt_version == dup.lessons[0].provenance.prompt_version
        )
        svc.set_archived(session, actor=ADMIN, course_id=cid, archived=True)
    with session_scope() as session:
        assert cid not in [c.id for c in svc.list_courses(session)]
        svc.set_archived(session, actor=ADMIN, course_id=cid, archived=False)
    with session_scope() as session:
        assert cid in [c.id for c in svc.list_courses(session)]


def test_deck_text_round_trip(cid: int) -> None:
    with session_scope() as session:
        lesson_id = svc.load_course(session, cid).lessons[0].id
        deck = slides_content(session, lesson_id)
    assert slides_from_text(slides_to_text(deck)) == deck


def test_deck_text_parsing_rules() -> None:
    text = "## One\n- a\n* b\nplain\nNotes: first\nsecond line\n\n## Two\n- c\n"
    assert slides_from_text(text) == {
        "slides": [
            {"title": "One", "bullets": ["a", "b", "plain"], "notes": "first\nsecond line"},
            {"title": "Two", "bullets": ["c"], "notes": ""},
        ]
    }
    with pytest.raises(InvalidInput):
        slides_from_text("text before any slide\n## One\n- a")


def test_cost_breakdowns(cid: int) -> None:
    with session_scope() as session:
        for step, version, cost, outcome in (
            ("lesson", "1.0.0", 0.01, "ok"),
            ("lesson", "1.1.0", 0.02, "invalid"),
            ("slides", "1.0.0", 0.005, "ok"),
        ):
            session.add(
                LLMCall(
                    course_id=cid,
                    step=step,
                    provider="offline",
                    model="m",
                    prompt_id=step,
                    prompt_version=version,
                    prompt_checksum="x",
                    input_tokens=100,
                    output_tokens=50,
                    cost_usd=cost,
                    latency_ms=10,
                    outcome=outcome,
                )
            )
    with session_scope() as session:
        by_step = grouped(session, CostFilter(), ("step",))
        by_version = grouped(session, CostFilter(course_ids=(cid,)), ("prompt_version",))
        by_course = grouped(session, CostFilter(), ("course",))
        by_kind = grouped(session, CostFilter(), ("job_kind",))
        total = totals(session, CostFilter())
    assert [(r.keys, r.metrics.calls, r.metrics.failed_calls) for r in by_step] == [
        (("lesson",), 2, 1),
        (("slides",), 1, 0),
    ]
    assert by_version[0].keys == ("lesson@1.1.0",)
    assert by_course[0].keys[0].startswith(f"#{cid} ") and by_course[0].metrics.cost_usd == pytest.approx(
        0.035
    )
    assert by_kind[0].keys == ("(none)",)
    assert total.input_tokens == 300

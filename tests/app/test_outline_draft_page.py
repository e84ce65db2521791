"""Retry tells the truth (issue 12): the draft a failed structure job mentions is opened
on the Structure page, fixed there, checked and used."""

from __future__ import annotations

import json

from core.db import session_scope
from core.jobs import create_job
from core.llm.providers.offline import build_outline
from core.models import JobStatus, NodeType, RevisionStatus
from core.schemas import CourseParams
from core.services import generation
from core.services.courses import create_course, load_course
from core.services.revisions import add_revision
from tests.actors import ADMIN
from tests.app.conftest import open_page, texts


def test_a_failed_outline_draft_is_fixed_and_used_from_the_structure_page(db: str) -> None:
    params = CourseParams(
        topic="Data cleaning", module_count=2, lessons_per_module=2, total_duration_minutes=60
    )
    good = build_outline(params.model_dump(mode="json"))
    with session_scope() as session:
        course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        job = create_job(session, kind=generation.KIND_OUTLINE, course_id=course_id)
        job.status, job.error_code = JobStatus.failed, "E.LLM.INVALID_OUTPUT"
        job.error_detail = "the outline did not validate; the answer is kept as a draft"
        session.add(job)
        session.flush()
        broken = {**good, "modules": good["modules"][:1]}  # one module short
        add_revision(
            session,
            course_id=course_id,
            node_type=NodeType.course,
            node_id=course_id,
            content={"raw": json.dumps(broken), "problems": ["modules: expected exactly 2 modules, got 1"]},
            status=RevisionStatus.draft,
            job_id=int(job.id or 0),
        )
    at = open_page("structure", course_id=course_id)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "kept as a draft" in shown.lower() or "did not pass the checks" in shown
    area = next(w for w in at.text_area if w.key.startswith("outline-draft-"))
    use = next(b for b in at.button if b.label == "Check and use this structure")

    use.click().run()  # unchanged: still one module short, refused and named
    assert "expected exactly 2 modules" in texts(at).replace("\\", "")
    with session_scope() as session:
        assert load_course(session, course_id).modules == []

    area = next(w for w in at.text_area if w.key.startswith("outline-draft-"))
    area.set_value(json.dumps(good))
    next(b for b in at.button if b.label == "Check and use this structure").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with session_scope() as session:
        assert len(load_course(session, course_id).modules) == 2

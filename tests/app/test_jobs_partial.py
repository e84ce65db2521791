"""The Jobs page tells a partial job apart, with its counts, and offers a retry (issue 10)."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.models import Job, JobStatus, utcnow
from tests.app.conftest import open_page, texts


@pytest.mark.parametrize(("lang", "status", "counts"), [
    ("en", "partial", "Written: 3 · drafts: 2 · skipped: 2 · failed: 1"),
    ("ru", "частично", "Написано: 3 · черновиков: 2 · пропущено: 2 · ошибок: 1"),
])  # fmt: skip
def test_a_partial_job_shows_its_counts(course_id: int, lang: str, status: str, counts: str) -> None:
    with session_scope() as session:
        session.add(
            Job(
                kind="lessons",
                course_id=course_id,
                status=JobStatus.partial,
                result={"written": 3, "drafts": 2, "skipped": 2, "failed": 1, "partial": True},
                error_code="E.OPENAI.SERVER",
                error_detail="1 of 8 lessons failed (boom); retry the job to redo only those",
                steps=[{"name": "lesson:1", "label": "Lesson 1.1", "status": "draft", "detail": ""}],
                finished_at=utcnow(),
            )
        )
    at = open_page("jobs", course_id=course_id, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert status in shown and counts in shown
    # a warning in plain words, not an error; the code is in the details (issue-12's errors)
    assert any(t in str(w.value) for w in at.warning for t in ("Retry", "Повторить"))
    assert not [e.value for e in at.error]
    assert "E.OPENAI.SERVER" in shown
    assert any(b.label in ("Retry", "Повторить") for b in at.button)

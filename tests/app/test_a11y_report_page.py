"""The Export page shows the course's accessibility report, with buttons to the nodes to fix."""

from __future__ import annotations

import pytest

from core.db import session_scope
from tests.a11y.course import make_a11y_course
from tests.app.conftest import open_page, texts


@pytest.fixture
def a11y_course(db: str) -> int:
    with session_scope() as session:
        return make_a11y_course(session, missing_alt=True)


def test_report_lists_missing_alt_and_opens_the_lesson(a11y_course: int) -> None:
    at = open_page("export", course_id=a11y_course)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at).replace("\\", "")  # model/user text is shown md-escaped
    assert "Accessibility" in shown
    assert "Needs you (4)" in [e.label for e in at.expander]
    assert "photo.png" in shown and "no alt text" in shown
    # state is in words, and the fixed items are listed too
    assert any(e.label.startswith("Fixed by the export") for e in at.expander)
    assert any(e.label.startswith("Passed") for e in at.expander)
    buttons = [b for b in at.button if b.key and b.key.startswith(f"a11y-open-{a11y_course}-")]
    assert buttons and "Open lesson" in buttons[0].label.replace("\\", "")
    lesson_id = None
    with session_scope(readonly=True) as session:
        from core.services.accessibility import course_report

        lesson_id = course_report(session, a11y_course).needs_author[0].node.id  # type: ignore[union-attr]
    buttons[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[f"lessons-{a11y_course}-pick.value"] == lesson_id  # ui.widgets keeps the value


def test_report_in_russian_says_all_passed_for_a_clean_course(db: str) -> None:
    with session_scope() as session:
        course_id = make_a11y_course(session)
    at = open_page("export", course_id=course_id, lang="ru")
    assert not at.exception, [e.value for e in at.exception]
    assert any("Пройдено: от вас ничего не требуется" in s.value for s in at.success)

"""Language that sticks (issue 12): choices keep their values across a language switch and
saving still works; a new course is written in the interface language."""

from __future__ import annotations

from core.db import session_scope
from core.services.courses import list_courses
from tests.app.conftest import open_page


def _switch(at, lang: str):  # type: ignore[no-untyped-def]
    at.session_state["ui.lang"] = lang
    return at.run()


def test_level_and_tone_survive_a_language_switch_and_save(db: str) -> None:
    at = open_page("parameters", lang="en")
    assert at.selectbox(key="parameters.language.en").value == "en"
    at.text_input(key="parameters.topic").set_value("Data cleaning")
    at.selectbox(key="parameters.level.en").set_value("intermediate").run()  # a pick reruns
    at.selectbox(key="parameters.tone.en").set_value("formal").run()
    at = _switch(at, "ru")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="parameters.level.ru").value == "intermediate"
    assert at.selectbox(key="parameters.tone.ru").value == "formal"
    assert "Средний" in at.selectbox(key="parameters.level.ru").options
    at.checkbox(key="parameters.propose").uncheck()
    next(b for b in at.button if b.label == "Сохранить параметры").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    with session_scope() as session:
        (course,) = list_courses(session)
    assert course.params["level"] == "intermediate" and course.params["tone"] == "formal"


def test_a_new_course_defaults_to_the_interface_language(db: str) -> None:
    at = open_page("parameters", lang="ru")
    assert at.selectbox(key="parameters.language.ru").value == "ru"
    assert at.text_input(key="parameters.audience").value == "широкая аудитория"


def test_lesson_picker_keeps_the_lesson_across_a_switch(course_id: int) -> None:
    at = open_page("lessons", course_id=course_id, lang="en")
    at.selectbox(key=f"lessons-{course_id}-pick.en").select_index(1).run()
    chosen = at.selectbox(key=f"lessons-{course_id}-pick.en").value
    at = _switch(at, "ru")
    assert at.selectbox(key=f"lessons-{course_id}-pick.ru").value == chosen
    assert "написан" in at.selectbox(key=f"lessons-{course_id}-pick.ru").options[1]

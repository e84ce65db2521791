"""The main flows, on the in-process runner and the offline provider: parameters -> outline
job -> edit outline -> lessons job -> edit a lesson -> history and diff -> regenerate a
lesson -> accept/reject -> slides."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.db import session_scope
from core.models import Course, RevisionStatus
from core.services.courses import list_courses, load_course
from core.services.revisions import history
from tests.app.conftest import finish_job, open_page, texts


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; have {[b.label for b in at.button]}"
    return matches[0]


def fill_parameters(at: AppTest, **values: object) -> AppTest:
    for name, value in values.items():
        for kind in ("text_input", "number_input", "selectbox", "text_area"):
            # Choices are keyed by language too (ui/widgets.py); text and numbers are not.
            keys = (f"parameters.{name}", f"parameters.{name}.en", f"parameters.{name}.ru")
            found = [w for w in getattr(at, kind) if w.key in keys]
            if found:
                found[0].set_value(value)
                break
        else:
            raise AssertionError(f"no field {name}")
    return button(at, "Save parameters").click().run()


def only_course() -> Course:
    with session_scope() as session:
        courses = list_courses(session)
    assert len(courses) == 1
    return courses[0]


def test_invalid_parameters_are_shown_next_to_fields_and_nothing_is_saved(db: str) -> None:
    at = open_page("parameters")
    at = fill_parameters(at, topic="x", audience="y")
    shown = texts(at)
    assert "Topic\\: enter at least 3 characters" in shown  # md-escaped colon
    assert "Audience\\: enter at least 2 characters" in shown
    assert "Nothing was saved" in shown
    # A rule across fields (time per lesson) is shown next to the duration.
    at = fill_parameters(
        at,
        topic="Pandas",
        audience="analysts",
        module_count=20,
        lessons_per_module=15,
        total_duration_minutes=60,
    )
    assert "for 300 lessons it must be between 1500 and 180000" in texts(at)
    with session_scope() as session:
        assert list_courses(session) == []


def test_whole_wizard(db: str) -> None:
    # Parameters -> the outline job starts and the Structure page follows it.
    at = open_page("parameters")
    at = fill_parameters(
        at, topic="Data cleaning with pandas", module_count=2, lessons_per_module=2, total_duration_minutes=60
    )
    assert not at.exception, [e.value for e in at.exception]
    course = only_course()
    cid = int(course.id or 0)
    finish_job(cid, ("outline",))
    at = open_page("structure", course_id=cid)
    assert not at.exception
    with session_scope() as session:
        doc = load_course(session, cid)
    assert len(doc.modules) == 2 and len(doc.lessons) == 4

    # Edit the outline: rename a lesson, change its duration, reorder, lock, add, delete.
    first = doc.modules[0]
    lesson = first.lessons[0]
    title_box = next(
        w for w in at.text_input if w.key.startswith(f"lesson-{lesson.id}-") and w.key.endswith("-title")
    )
    title_box.set_value("Reading messy CSV files")
    minutes = next(w for w in at.number_input if w.key.startswith(f"lesson-{lesson.id}-"))
    minutes.set_value(20)
    at = button(at, "Save module").click().run()
    assert not at.exception
    at.button(key=f"lesson-{lesson.id}-down").click().run()
    at.button(key=f"lesson-{first.lessons[1].id}-lock").click().run()
    at.button(key=f"module-{first.id}-add").click().run()
    with session_scope() as session:
        doc = load_course(session, cid)
    renamed = doc.modules[0].lessons
    assert [x.title for x in renamed][1] == "Reading messy CSV files"
    assert renamed[1].duration_minutes == 20
    assert renamed[0].locked and len(renamed) == 3
    at.button(key=f"lesson-{renamed[2].id}-delete").click().run()
    at.button(key=f"lesson-{renamed[0].id}-lock").click().run()  # unlock again
    assert not at.exception

    # Approve -> lessons job -> Lessons page.
    at = button(at, ":material/check_circle: Approve and write lessons").click().run()
    assert not at.exception
    finish_job(cid, ("lessons",))
    at = open_page("lessons", course_id=cid)
    assert not at.exception
    with session_scope() as session:
        doc = load_course(session, cid)
    assert all(x.body_md for x in doc.lessons)
    target = doc.lessons[0]

    # Edit a lesson in the (plain) editor: the pending text is saved on the next run.
    editor = next(w for w in at.text_area if w.key.startswith(f"lesson-{target.id}-editor"))
    edited = target.body_md + "\n\nAn added paragraph about encodings."
    editor.set_value(edited).run()
    at.run()
    assert not at.exception
    with session_scope() as session:
        revs = history(session, node_type="lesson", node_id=target.id)
    assert revs[0].source == "edited", texts(at) + str(
        {k: v for k, v in at.session_state.to_dict().items() if str(k).startswith("edit.")}
    )
    assert revs[0].content["body_md"] == edited
    assert "All changes saved" in texts(at)

    # History and diff: the history tab compares the newest two revisions inline and side by side.
    htmls = [str(h.proto) for h in at.get("html")]
    assert any("<ins>" in h and "encodings" in h for h in htmls), htmls
    at.segmented_control(key=f"lesson-{target.id}-history-diff-mode.en").set_value("side").run()
    assert sum("cs-diff" in str(h.proto) for h in at.get("html")) >= 2

    # Restore the generated revision as a new revision.
    generated = revs[-1]
    at.selectbox(key=f"lesson-{target.id}-history-restore-pick.en").set_value(generated.id).run()
    at.button(key=f"lesson-{target.id}-history-restore").click().run()
    assert not at.exception
    with session_scope() as session:
        revs = history(session, node_type="lesson", node_id=target.id)
        doc = load_course(session, cid)
    assert revs[0].source == "restored" and doc.lessons[0].body_md == target.body_md

    # Regenerate the lesson with an instruction -> proposal -> accept.
    at.text_input(key=f"lesson-{target.id}-regen-instruction").set_value("shorter")
    at = button(at, "Regenerate").click().run()
    assert not at.exception
    finish_job(cid, ("regenerate",))
    at.run()
    assert "A regenerated version is ready" in texts(at)
    at = button(at, "Accept").click().run()
    with session_scope() as session:
        revs = history(session, node_type="lesson", node_id=target.id)
    assert revs[0].status == RevisionStatus.current and revs[0].job_id is not None

    # Regenerate again -> reject: the text stays, the proposal is kept in history only.
    with session_scope() as session:
        before = load_course(session, cid).lessons[0].body_md
    at.text_input(key=f"lesson-{target.id}-regen-instruction").set_value("more examples")
    at = button(at, "Regenerate").click().run()
    finish_job(cid, ("regenerate",))
    at.run()
    at = button(at, "Reject").click().run()
    with session_scope() as session:
        revs = history(session, node_type="lesson", node_id=target.id)
        assert load_course(session, cid).lessons[0].body_md == before
    assert revs[0].status == RevisionStatus.rejected

    # Slides: make every deck as a job, then edit one.
    at = button(at, ":material/slideshow: Make slides").click().run()
    assert not at.exception
    finish_job(cid, ("slides",))
    at = open_page("slides", course_id=cid)
    assert not at.exception
    with session_scope() as session:
        doc = load_course(session, cid)
    assert all(x.slides for x in doc.lessons)
    deck = doc.lessons[0]
    deck_box = next(w for w in at.text_area if w.key.startswith(f"slides-{deck.id}-editor"))
    text = deck_box.value + "\n## An extra slide\n- one more point\nNotes: say it slowly\n"
    deck_box.set_value(text).run()
    at.run()
    with session_scope() as session:
        slides = load_course(session, cid).lessons[0].slides
    assert slides[-1].title == "An extra slide" and slides[-1].notes == "say it slowly"

    # The Jobs and Costs pages list what ran.
    jobs = open_page("jobs", course_id=cid)
    assert not jobs.exception and "Structure" in texts(jobs)
    costs = open_page("costs", course_id=cid)
    assert not costs.exception and not any("No model calls" in i.value for i in costs.info)

"""Two people, one lesson: concurrent saves give one refusal and no lost text."""

from __future__ import annotations

import threading

from core.db import session_scope
from core.models import RevisionStatus
from core.services.courses import get_lesson, load_course
from core.services.revisions import history, lesson_content, save_edit
from tests.actors import person
from tests.app.conftest import open_page, texts


def _body(course_id: int) -> tuple[int, str, int]:
    with session_scope() as session:
        lesson = load_course(session, course_id).lessons[0]
    return lesson.id, lesson.body_md, lesson.version


def test_two_concurrent_saves_one_refusal_no_lost_text(course_id: int) -> None:
    lesson_id, body, version = _body(course_id)
    texts_by_author = {"alice": body + "\n\nAlice's paragraph.", "bob": body + "\n\nBob's paragraph."}
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def save(author: str) -> None:
        barrier.wait(timeout=10)  # both start from the same version at the same moment
        with session_scope() as session:
            content = {**lesson_content(get_lesson(session, lesson_id)), "body_md": texts_by_author[author]}
            results[author] = save_edit(
                session,
                node_type="lesson",
                node_id=lesson_id,
                content=content,
                expected_version=version,
                actor=person(author),
            )

    threads = [threading.Thread(target=save, args=(name,)) for name in texts_by_author]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    saved = [name for name, r in results.items() if r.saved]  # type: ignore[attr-defined]
    refused = [name for name, r in results.items() if not r.saved]  # type: ignore[attr-defined]
    assert len(saved) == 1 and len(refused) == 1
    with session_scope() as session:
        revs = history(session, node_type="lesson", node_id=lesson_id)
        current = get_lesson(session, lesson_id).body_md
    assert current == texts_by_author[saved[0]]
    kept = {r.content["body_md"] for r in revs}
    assert set(texts_by_author.values()) <= kept, "both texts are kept"
    assert any(r.status == RevisionStatus.conflict and r.author == refused[0] for r in revs)
    assert "first" in results[refused[0]].message  # type: ignore[attr-defined]


def test_second_editor_in_the_app_sees_a_clear_refusal(course_id: int) -> None:
    lesson_id, body, _ = _body(course_id)
    alice = open_page("lessons", course_id=course_id)
    bob = open_page("lessons", course_id=course_id)
    for at, line in ((alice, "Alice was here."), (bob, "Bob was here.")):
        box = next(w for w in at.text_area if w.key.startswith(f"lesson-{lesson_id}-editor"))
        box.set_value(body + "\n\n" + line).run()
    alice.run()  # Alice's pending text is saved first
    bob.run()  # Bob's save names the version he opened: refused, kept as a conflict
    assert "someone else saved this first" in texts(bob)
    assert any(b.label == "Load the latest version" for b in bob.button)
    with session_scope() as session:
        kept = [r.content["body_md"] for r in history(session, node_type="lesson", node_id=lesson_id)]
        current = get_lesson(session, lesson_id).body_md
    assert current.endswith("Alice was here.")
    assert any(k.endswith("Bob was here.") for k in kept)

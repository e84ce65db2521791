"""Moderation and PII before save (issue 9, proposal 11): the policy decides per kind;
blocked content is kept as a quarantined revision, flagged content is stored and marked."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from core.db import session_scope
from core.errors import Code
from core.jobs import start_job, wait_for
from core.models import JobStatus, Lesson, Revision, RevisionStatus
from core.schemas import CourseParams
from core.services import generation, revisions
from core.services.content_check import check_content
from core.services.courses import create_course
from core.settings import Settings, reset_settings
from tests.actors import ADMIN, person
from tests.factories import make_course
from tests.fakes.fake_llm import FakeLLM, valid_answer

CARD = "4111 1111 1111 1111"
BODY = "A proper lesson body about refunds and receipts. " * 6


def _lesson() -> Lesson:
    with session_scope() as session:
        make_course(session, modules=1, lessons=1, slides=3)
    with session_scope() as session:
        return session.exec(select(Lesson)).one()


def _edit(lesson: Lesson, body: str) -> revisions.SaveResult:
    with session_scope() as session:
        return revisions.save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content={**revisions.lesson_content(lesson), "body_md": body},
            expected_version=lesson.version,
            actor=person("ann"),
        )


def test_blocked_edit_is_quarantined_with_findings_and_not_applied(any_db: str) -> None:
    lesson = _lesson()
    result = _edit(lesson, BODY + f"Test with card {CARD}.")
    assert not result.saved and result.blocked
    assert result.problems == ["blocked by the content policy: card in body_md (***11): block"]
    with session_scope() as session:
        rev = session.get(Revision, result.revision_id)
        current = session.get(Lesson, lesson.id)
    assert rev is not None and rev.status == RevisionStatus.quarantined
    assert rev.error_code == Code.CONTENT_BLOCKED
    assert CARD in rev.content["body_md"]  # nothing lost
    assert rev.findings == [{"kind": "card", "action": "block", "where": "body_md", "sample": "***11"}]
    assert CARD not in rev.note and CARD not in str(rev.findings)  # findings never repeat the value
    assert current is not None and current.body_md == lesson.body_md and current.version == lesson.version


def test_flagged_edit_is_stored_and_marked(db: str) -> None:
    lesson = _lesson()
    result = _edit(lesson, BODY + "Questions: ivan.petrov@example.com or +7 916 123 45 67.")
    assert result.saved and not result.blocked
    assert [(f["kind"], f["action"]) for f in result.findings] == [("email", "flag"), ("phone", "flag")]
    with session_scope() as session:
        rev = session.get(Revision, result.revision_id)
    assert rev is not None and rev.status == RevisionStatus.current
    assert [f["kind"] for f in rev.findings] == ["email", "phone"]


def test_redact_policy_replaces_values_before_storing(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENT_POLICY", "email:redact,card:redact")
    reset_settings()
    lesson = _lesson()
    result = _edit(lesson, BODY + f"Mail ivan@example.com, card {CARD}.")
    assert result.saved
    with session_scope() as session:
        current = session.get(Lesson, lesson.id)
        rev = session.get(Revision, result.revision_id)
    assert current is not None and current.body_md.endswith("Mail [email removed], card [card removed].")
    assert rev is not None and "ivan@example.com" not in str(rev.content)


def test_unparseable_draft_is_checked_too(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENT_POLICY", "snils:redact")
    reset_settings()
    lesson = _lesson()
    with session_scope() as session:
        draft = revisions.keep_draft(
            session,
            node_type="slides",
            node_id=int(lesson.id or 0),
            content={"raw": "stray line, СНИЛС 112-233-445 95"},
            problems=["line 1: start each slide with a '## Title' line"],
            actor=person("ann"),
        )
        assert draft.content == {"raw": "stray line, СНИЛС [snils removed]"}
        assert draft.findings[0]["kind"] == "snils"


def test_policy_setting_is_validated() -> None:
    assert Settings(CONTENT_POLICY="email:block").content_policy["email"] == "block"
    for bad, why in (("fax:block", "unknown kind 'fax'"), ("card:ignore", "card takes"),
                     ("moderation:redact", "moderation takes block | flag")):  # fmt: skip
        with pytest.raises(ValueError, match=why):
            Settings(CONTENT_POLICY=bad)


def test_offline_provider_means_pii_scan_only() -> None:
    outcome = check_content({"body_md": "I will kill you"})
    assert outcome.findings == []  # moderation needs the openai provider (MODERATION=auto)


# ------------------------------------------------------------------ generation path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(generation, "get_provider", lambda: llm)
    return llm


def _course() -> int:
    params = CourseParams(topic="Payments", module_count=1, lessons_per_module=2, total_duration_minutes=30)
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def test_generated_lesson_with_a_card_is_quarantined_and_the_job_goes_on(any_db: str, fake: FakeLLM) -> None:
    course_id = _course()
    assert (
        wait_for(
            int(start_job(kind=generation.KIND_OUTLINE, course_id=course_id, actor=ADMIN).id or 0)
        ).status
        == "succeeded"
    )

    def leaky(request):  # type: ignore[no-untyped-def]
        answer = valid_answer(request)
        answer["body_md"] += f" Pay with {CARD}."
        return json.dumps(answer)

    fake.enqueue_for("Lesson 1.1", leaky)
    job = wait_for(
        int(start_job(kind=generation.KIND_LESSONS, course_id=course_id, actor=ADMIN).id or 0), timeout=60
    )
    # The other lesson is written; the quarantined one is not usable, so the job says partial.
    assert job.status == JobStatus.partial, job.error_detail
    assert job.result["drafts"] == 1 and job.result["written"] >= 1
    steps = {s["label"]: s for s in job.steps}
    assert steps["Lesson 1.1 Lesson 1.1"]["status"] == "draft"
    assert "content policy" in steps["Lesson 1.1 Lesson 1.1"]["detail"]
    assert steps["Lesson 1.2 Lesson 1.2"]["status"] == "done"
    with session_scope() as session:
        lesson = session.exec(select(Lesson).where(Lesson.title == "Lesson 1.1")).one()
        rev = session.exec(
            select(Revision).where(Revision.node_type == "lesson", Revision.node_id == lesson.id)
        ).one()
    assert lesson.body_md == "" and lesson.detail_status == "draft"
    assert rev.status == RevisionStatus.quarantined and CARD in rev.content["body_md"]
    assert rev.findings[0]["kind"] == "card" and rev.error_code == Code.CONTENT_BLOCKED


def test_generated_outline_with_a_passport_fails_and_is_kept(db: str, fake: FakeLLM) -> None:
    course_id = _course()

    def leaky(request):  # type: ignore[no-untyped-def]
        answer = valid_answer(request)
        answer["summary"] = "Example customer: паспорт 45 07 123456."
        return json.dumps(answer, ensure_ascii=False)

    fake.enqueue(leaky)
    job = wait_for(
        int(start_job(kind=generation.KIND_OUTLINE, course_id=course_id, actor=ADMIN).id or 0), timeout=60
    )
    assert job.status == JobStatus.failed and job.error_code == Code.CONTENT_BLOCKED
    with session_scope() as session:
        rev = session.exec(select(Revision).where(Revision.node_type == "course")).one()
    assert rev.status == RevisionStatus.quarantined and "45 07 123456" in rev.content["summary"]
    assert rev.findings[0]["kind"] == "passport"


# ------------------------------------------------------------------ imported courses


def _exported_with(body_extra: str) -> bytes:
    from core.exporters import export_course

    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1, slides=2)
    with session_scope() as session:
        data, _, _ = export_course(session, course_id, "json", "minimal")
    doc = json.loads(data)
    doc["course"]["modules"][0]["lessons"][0]["body_md"] += body_extra
    return json.dumps(doc).encode()


def test_import_with_blocked_content_writes_nothing(db: str) -> None:
    from sqlalchemy import func

    from core.errors import AppError
    from core.exporters import import_course_json
    from core.models import Course

    data = _exported_with(f" Card {CARD}.")
    with pytest.raises(AppError) as err, session_scope() as session:
        import_course_json(session, data, actor=person("ann"))
    assert err.value.code == Code.CONTENT_BLOCKED
    assert "card in modules.0.lessons.0.body_md" in err.value.message
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Course)).one() == 1  # only the source


def test_import_flags_and_redacts_per_node(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.exporters import import_course_json

    monkeypatch.setenv("CONTENT_POLICY", "phone:redact")
    reset_settings()
    data = _exported_with(" Mail ivan@example.com or call +7 916 123 45 67.")
    with session_scope() as session:
        new_id = import_course_json(session, data, actor=person("ann"))
    with session_scope() as session:
        lesson = session.exec(select(Lesson).where(Lesson.course_id == new_id)).one()
        rev = session.get(Revision, lesson.current_revision_id)
    assert lesson.body_md.endswith("Mail ivan@example.com or call [phone removed].")
    assert rev is not None and [(f["kind"], f["action"]) for f in rev.findings] == [
        ("email", "flag"),
        ("phone", "redact"),
    ]


def test_structure_page_outline_edits_are_scanned(db: str) -> None:
    from core.errors import AppError
    from core.services import courses

    lesson = _lesson()
    with pytest.raises(AppError) as err, session_scope() as session:
        courses.update_lesson_outline(
            session,
            lesson_id=int(lesson.id or 0),
            title="Refunds",
            objectives=[f"Use {CARD}"],
            duration_minutes=10,
            actor=ADMIN,
        )
    assert err.value.code == Code.CONTENT_BLOCKED and "objectives.0" in err.value.message
    with session_scope() as session:
        current = session.get(Lesson, lesson.id)
    assert current is not None and current.objectives == lesson.objectives

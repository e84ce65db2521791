"""The generation engine on a fake provider, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import col, func, select

from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import execute, get_job, recover_orphans, request_cancel, retry_job, start_job, wait_for
from core.llm.base import LLMResponse
from core.models import Job, JobStatus, Lesson, LLMCall, Module, Revision, RevisionStatus, SlideRow
from core.schemas import CourseParams
from core.services import generation, revisions
from core.services.courses import create_course, load_course
from core.settings import reset_settings
from tests.actors import ADMIN, person
from tests.fakes.fake_llm import FakeLLM


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(generation, "get_provider", lambda: llm)
    return llm


def _course(modules: int = 2, lessons: int = 3, duration: int = 120) -> int:
    params = CourseParams(
        topic="Python testing",
        module_count=modules,
        lessons_per_module=lessons,
        total_duration_minutes=duration,
    )
    with session_scope() as session:
        return int(create_course(session, actor=ADMIN, params=params).id or 0)


def _count(model, *where) -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def _run(kind: str, course_id: int, **payload) -> Job:
    job = start_job(actor=ADMIN, kind=kind, course_id=course_id, payload=payload or None)
    return wait_for(int(job.id or 0), timeout=60)


def test_whole_course_is_generated_and_versioned(any_db: str, fake: FakeLLM) -> None:
    course_id = _course()
    job = _run(generation.KIND_COURSE, course_id)
    assert job.status == JobStatus.succeeded, job.error_detail
    assert job.progress == 1.0
    assert {s["status"] for s in job.steps} == {"done"}
    assert len(job.steps) == 1 + 6 * 2

    with session_scope() as session:
        doc = load_course(session, course_id)
    assert [len(m.lessons) for m in doc.modules] == [3, 3]
    assert all(lesson.body_md and lesson.slides for lesson in doc.lessons)
    assert doc.duration_minutes == 120
    # 1 outline + 6 lessons + 6 decks, one call each, every call recorded with its prompt.
    assert _count(LLMCall, LLMCall.job_id == job.id) == 13
    with session_scope() as session:
        calls = session.exec(select(LLMCall).where(LLMCall.job_id == job.id)).all()
    assert {c.prompt_id for c in calls} == {"outline", "lesson", "slides"}
    assert all(c.prompt_version == "1.1.0" and c.prompt_checksum.startswith("sha256:") for c in calls)
    assert all(c.cost_usd > 0 and c.outcome == "ok" for c in calls)
    # every node has a generated revision carrying provenance
    lesson = doc.lessons[0]
    assert lesson.provenance and lesson.provenance.prompt_id == "lesson"
    assert lesson.slides_provenance and lesson.slides_provenance.prompt_id == "slides"
    assert _count(Revision, Revision.job_id == job.id, Revision.node_type == "lesson") == 6


def test_fan_out_respects_the_concurrency_bound(db: str, fake: FakeLLM, monkeypatch) -> None:
    monkeypatch.setenv("GENERATION_CONCURRENCY", "3")
    reset_settings()
    fake.delay = 0.05
    course_id = _course(modules=3, lessons=4)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    fake.max_in_flight = 0
    job = _run(generation.KIND_LESSONS, course_id)
    assert job.status == JobStatus.succeeded
    assert 1 < fake.max_in_flight <= 3


def test_invalid_lesson_is_kept_as_draft_and_job_goes_on(any_db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    fake.enqueue_for("Lesson 1.1", "not json at all", '{"body_md": "too short"}')
    job = _run(generation.KIND_LESSONS, course_id)
    # issue 10: a job that kept a draft did not produce what was asked: partial, with counts
    assert job.status == JobStatus.partial
    assert (job.result["written"], job.result["drafts"]) == (1, 1)
    steps = {s["label"]: s for s in job.steps}
    assert steps["Lesson 1.1 Lesson 1.1"]["status"] == "draft"
    with session_scope() as session:
        lesson = session.exec(select(Lesson).where(Lesson.title == "Lesson 1.1")).one()
        draft = session.exec(
            select(Revision).where(Revision.node_id == lesson.id, Revision.node_type == "lesson")
        ).one()
    assert lesson.detail_status == "draft" and lesson.body_md == ""
    assert draft.status == RevisionStatus.draft
    assert draft.content["raw"] == '{"body_md": "too short"}'
    assert draft.error_code == Code.LLM_INVALID_OUTPUT
    # the remediation call carried the validation errors
    remediation = [r for r in fake.requests if r.remediation]
    assert len(remediation) == 1 and "not valid JSON" in remediation[0].messages[-1]["content"]
    assert _count(LLMCall, LLMCall.job_id == job.id, LLMCall.outcome == "invalid") == 2


def test_invalid_outline_fails_the_job_and_keeps_the_draft(db: str, fake: FakeLLM) -> None:
    course_id = _course()
    fake.enqueue('{"title": "x"}', '```json\n{"title": "Still wrong"}\n```')
    job = _run(generation.KIND_OUTLINE, course_id)
    assert job.status == JobStatus.failed
    assert job.error_code == Code.LLM_INVALID_OUTPUT
    assert job.steps[0]["status"] == "draft"
    with session_scope() as session:
        draft = session.exec(select(Revision).where(Revision.node_type == "course")).one()
    assert draft.status == RevisionStatus.draft and "Still wrong" in draft.content["raw"]
    assert _count(Module, Module.course_id == course_id) == 0


def test_refusal_is_coded_and_kept(db: str, fake: FakeLLM) -> None:
    course_id = _course()
    fake.enqueue(LLMResponse(text="", model="gpt-4.1-mini", refusal="I can't help with that"))
    job = _run(generation.KIND_OUTLINE, course_id)
    assert job.error_code == Code.LLM_REFUSED
    assert _count(LLMCall, LLMCall.outcome == "refused") == 1


class _Crash(BaseException):
    """Escapes every `except Exception`: the closest thing to a killed process in a test."""


def test_crashed_job_resumes_without_rewriting_finished_lessons(
    any_db: str, fake: FakeLLM, monkeypatch
) -> None:
    monkeypatch.setenv("GENERATION_CONCURRENCY", "2")
    monkeypatch.setenv("JOB_STALE_AFTER_S", "0.5")
    reset_settings()
    course_id = _course(modules=2, lessons=4)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    calls = {"n": 0}

    def maybe_crash(request):
        calls["n"] += 1
        if calls["n"] == 4:
            raise _Crash()
        return None  # fall back to valid content

    fake.enqueue(*[maybe_crash] * 4)
    with session_scope() as session:
        from core.jobs import create_job

        job_id = int(
            create_job(
                session, kind=generation.KIND_LESSONS, course_id=course_id, payload={"lesson_ids": None}
            ).id
            or 0
        )
    with pytest.raises(_Crash):
        execute(job_id)
    with session_scope() as session:
        crashed = get_job(session, job_id)
    assert crashed.status == JobStatus.running  # as a dead process would leave it
    written_before = _count(Revision, Revision.job_id == job_id)
    assert 0 < written_before < 8

    deadline = time.monotonic() + 10
    while not recover_orphans():
        assert time.monotonic() < deadline, "the orphan was never found"
        time.sleep(0.1)
    job = wait_for(job_id, timeout=60)
    assert job.status == JobStatus.succeeded and job.attempts == 2
    # every lesson written exactly once, and no finished lesson asked for again
    with session_scope() as session:
        rows = session.exec(select(Revision.node_id).where(Revision.job_id == job_id)).all()
    assert sorted(rows) == sorted(set(rows)) and len(rows) == 8
    lesson_calls = [r for r in fake.requests if r.step == "lesson"]
    assert len(lesson_calls) == 8 + 1  # the crashed call is the only one made twice


def test_orphan_out_of_attempts_is_failed_not_left_running(db: str, monkeypatch) -> None:
    monkeypatch.setenv("JOB_STALE_AFTER_S", "0.1")
    reset_settings()
    course_id = _course()
    with session_scope() as session:
        job = Job(
            kind="lessons",
            course_id=course_id,
            status=JobStatus.running,
            attempts=3,
            max_attempts=3,
            heartbeat_at=None,
        )
        session.add(job)
        session.flush()
        job_id = job.id
        from core.models import utcnow

        job.heartbeat_at = utcnow()
    time.sleep(0.2)  # let the heartbeat age past the (tiny) stale limit
    assert recover_orphans() == []
    with session_scope() as session:
        job = get_job(session, int(job_id or 0))
    assert job.status == JobStatus.failed and job.error_code == Code.JOB_ORPHANED


def test_one_lesson_failing_ends_partial_and_retry_redoes_only_it(any_db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=3, duration=60)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    fake.enqueue_for("Lesson 1.2", AppError(Code.OPENAI_RATE_LIMIT, "rate limited", retryable=True))
    job = _run(generation.KIND_LESSONS, course_id)
    assert job.status == JobStatus.partial and job.error_code == Code.OPENAI_RATE_LIMIT
    assert "1 of 3 lessons failed" in (job.error_detail or "")
    assert (job.result["written"], job.result["failed"]) == (2, 1)
    before = len(fake.requests)
    retry_job(int(job.id or 0), actor=ADMIN)
    job = wait_for(int(job.id or 0), timeout=60)
    assert job.status == JobStatus.succeeded
    assert [r.variables["lesson_title"] for r in fake.requests[before:]] == ["Lesson 1.2"]
    assert _count(Lesson, Lesson.course_id == course_id, Lesson.detail_status == "generated") == 3


def test_cancel_stops_between_calls(db: str, fake: FakeLLM, monkeypatch) -> None:
    monkeypatch.setenv("GENERATION_CONCURRENCY", "1")
    reset_settings()
    course_id = _course(modules=2, lessons=3)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    started, release = threading.Event(), threading.Event()

    def block(request):
        started.set()
        assert release.wait(10)

    fake.enqueue(block)
    job = start_job(actor=ADMIN, kind=generation.KIND_LESSONS, course_id=course_id)
    assert started.wait(10)
    with session_scope() as session:
        request_cancel(session, int(job.id or 0), actor=ADMIN)
    release.set()
    job = wait_for(int(job.id or 0), timeout=30)
    assert job.status == JobStatus.canceled and job.error_code == Code.JOB_CANCELED
    assert len([r for r in fake.requests if r.step == "lesson"]) == 1


def test_regenerate_lesson_proposes_then_accept_or_reject(any_db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_COURSE, course_id).status == JobStatus.succeeded
    with session_scope() as session:
        first, second = session.exec(select(Lesson).order_by(col(Lesson.position))).all()
    job = generation.start_regenerate(
        actor=ADMIN,
        course_id=course_id,
        node_type="lesson",
        node_id=int(first.id or 0),
        instruction="more examples",
    )
    assert wait_for(int(job.id or 0)).status == JobStatus.succeeded
    with session_scope() as session:
        proposal = revisions.pending_proposal(session, node_type="lesson", node_id=int(first.id or 0))
        unchanged = session.get(Lesson, first.id)
    assert proposal is not None and "more examples" in proposal.content["body_md"]
    assert unchanged.body_md == first.body_md  # nothing changes until accepted
    with session_scope() as session:
        revisions.accept_proposal(session, revision_id=int(proposal.id or 0), actor=person("ann"))
    with session_scope() as session:
        accepted = session.get(Lesson, first.id)
        other = session.get(Lesson, second.id)
    assert "more examples" in accepted.body_md and accepted.version == first.version + 1
    assert other.body_md == second.body_md and other.version == second.version

    job = generation.start_regenerate(
        actor=ADMIN, course_id=course_id, node_type="slides", node_id=int(first.id or 0)
    )
    wait_for(int(job.id or 0))
    with session_scope() as session:
        proposal = revisions.pending_proposal(session, node_type="slides", node_id=int(first.id or 0))
        revisions.reject_proposal(session, revision_id=int(proposal.id or 0), actor=person("ann"))
    with session_scope() as session:
        assert session.get(Revision, proposal.id).status == RevisionStatus.rejected
        assert revisions.pending_proposal(session, node_type="slides", node_id=int(first.id or 0)) is None


def test_locked_nodes_cannot_be_regenerated_and_are_skipped(db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    with session_scope() as session:
        lesson = session.exec(select(Lesson).order_by(col(Lesson.position))).first()
        lesson.locked = True
        session.add(lesson)
    with pytest.raises(AppError, match="locked"):
        generation.start_regenerate(
            actor=ADMIN, course_id=course_id, node_type="lesson", node_id=int(lesson.id or 0)
        )
    job = _run(generation.KIND_LESSONS, course_id)
    assert [s["status"] for s in job.steps] == ["skipped", "done"]
    with session_scope() as session:
        assert session.get(Lesson, lesson.id).body_md == ""


def test_regenerate_module_keeps_locked_lessons(db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=2, lessons=2, duration=40)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    with session_scope() as session:
        module = session.exec(select(Module).order_by(col(Module.position))).first()
        locked = session.exec(select(Lesson).where(Lesson.module_id == module.id, Lesson.position == 0)).one()
        locked.locked = True
        session.add(locked)
    job = generation.start_regenerate(
        actor=ADMIN,
        course_id=course_id,
        node_type="module",
        node_id=int(module.id or 0),
        instruction="shorter",
    )
    assert wait_for(int(job.id or 0)).status == JobStatus.succeeded
    with session_scope() as session:
        proposal = revisions.pending_proposal(session, node_type="module", node_id=int(module.id or 0))
        revisions.accept_proposal(session, revision_id=int(proposal.id or 0), actor=person("ann"))
    with session_scope() as session:
        lessons = session.exec(
            select(Lesson).where(Lesson.module_id == module.id).order_by(col(Lesson.position))
        ).all()
        assert session.get(Module, module.id).title.startswith("Reworked")
    assert lessons[0].title == locked.title  # locked: untouched
    assert lessons[1].title == "New lesson 2"


def test_edit_during_generation_becomes_a_proposal(db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=1, duration=15)
    assert _run(generation.KIND_COURSE, course_id).status == JobStatus.succeeded
    with session_scope() as session:
        lesson = session.exec(select(Lesson)).one()
    entered, release = threading.Event(), threading.Event()

    def slow(request):
        entered.set()
        assert release.wait(10)

    fake.enqueue(slow)
    job = generation.start_lessons(actor=ADMIN, course_id=course_id)
    assert entered.wait(10)
    with session_scope() as session:
        content = {**revisions.lesson_content(lesson), "body_md": "Edited by a person. " * 20}
        assert revisions.save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content=content,
            expected_version=lesson.version,
            actor=person("bob"),
        ).saved
    release.set()
    assert wait_for(int(job.id or 0)).status == JobStatus.succeeded
    with session_scope() as session:
        assert session.get(Lesson, lesson.id).body_md.startswith("Edited by a person.")
        assert (
            revisions.pending_proposal(session, node_type="lesson", node_id=int(lesson.id or 0)) is not None
        )


def test_two_concurrent_saves_one_refusal_no_lost_text(any_db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=1, duration=15)
    assert _run(generation.KIND_COURSE, course_id).status == JobStatus.succeeded
    with session_scope() as session:
        lesson = session.exec(select(Lesson)).one()
    texts = {"ann": "Ann's version of the lesson. " * 10, "bob": "Bob's version of the lesson. " * 10}
    barrier = threading.Barrier(2)
    results = {}

    def save(author: str) -> None:
        barrier.wait()
        with session_scope() as session:
            results[author] = revisions.save_edit(
                session,
                node_type="lesson",
                node_id=int(lesson.id or 0),
                content={**revisions.lesson_content(lesson), "body_md": texts[author]},
                expected_version=lesson.version,
                actor=person(author),
            )

    threads = [threading.Thread(target=save, args=(a,)) for a in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.saved for r in results.values()) == [False, True]
    loser = next(a for a, r in results.items() if not r.saved)
    winner = next(a for a, r in results.items() if r.saved)
    assert "first" in results[loser].message
    with session_scope() as session:
        current = session.get(Lesson, lesson.id)
        kept = session.get(Revision, results[loser].revision_id)
    assert current.body_md == texts[winner].strip() or current.body_md == texts[winner]
    assert kept.status == RevisionStatus.conflict and kept.content["body_md"] == texts[loser]
    assert current.version == lesson.version + 1


def test_slides_rows_follow_the_current_revision(db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=1, duration=15)
    assert _run(generation.KIND_COURSE, course_id).status == JobStatus.succeeded
    assert _count(SlideRow) == 3


def test_budget_stops_the_job_before_the_call_that_would_pass_it(
    any_db: str, fake: FakeLLM, monkeypatch
) -> None:
    monkeypatch.setenv("GENERATION_CONCURRENCY", "1")
    reset_settings()
    course_id = _course(modules=1, lessons=3, duration=45)
    # Each call reserves its worst case (6000 output tokens of gpt-4.1-mini: about $0.01)
    # and spends far less: $0.0105 holds a call or two, never all seven.
    job = generation.start_course(actor=ADMIN, course_id=course_id, budget_usd=0.0105)
    job = wait_for(int(job.id or 0))
    assert job.status == JobStatus.failed and job.error_code == Code.BUDGET_EXCEEDED
    with session_scope() as session:
        spent = session.exec(select(func.sum(LLMCall.cost_usd)).where(LLMCall.job_id == job.id)).one()
    made = len(fake.requests)
    assert 0 < made < 7  # stopped early: 1 outline + 3 lessons + 3 decks would be 7
    # A hard cap: no call starts whose worst case would pass the budget (issue 8).
    assert 0 < spent <= 0.0105
    retry_job(int(job.id or 0), actor=ADMIN, budget_usd=1.0)
    job = wait_for(int(job.id or 0))
    assert job.status == JobStatus.succeeded
    assert len(fake.requests) == 7  # nothing asked twice


def test_estimate_is_in_the_range_of_what_a_run_costs(db: str, monkeypatch) -> None:
    from core.services.estimate import estimate_course
    from tests.fakes.openai_server import FakeOpenAIServer

    params = CourseParams(
        topic="Negotiation skills", module_count=2, lessons_per_module=3, total_duration_minutes=120
    )
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-estimate-0123456789")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        reset_settings()
        estimate = estimate_course(params)
        with session_scope() as session:
            course_id = int(create_course(session, actor=ADMIN, params=params).id or 0)
        job = wait_for(int(generation.start_course(actor=ADMIN, course_id=course_id).id or 0))
    assert job.status == JobStatus.succeeded
    with session_scope() as session:
        actual = session.exec(select(func.sum(LLMCall.cost_usd)).where(LLMCall.job_id == job.id)).one()
        calls = session.exec(select(func.count()).select_from(LLMCall).where(LLMCall.job_id == job.id)).one()
    assert estimate.calls == calls == 13
    assert 0.5 * actual <= estimate.cost_usd <= 2 * actual, (estimate.cost_usd, actual)


def test_a_second_start_while_running_returns_the_same_job(db: str, fake: FakeLLM) -> None:
    course_id = _course(modules=1, lessons=2, duration=30)
    assert _run(generation.KIND_OUTLINE, course_id).status == JobStatus.succeeded
    entered, release = threading.Event(), threading.Event()

    def hold(request):
        entered.set()
        assert release.wait(10)

    fake.enqueue(hold)
    first = generation.start_lessons(actor=ADMIN, course_id=course_id)
    assert entered.wait(10)
    again = generation.start_lessons(actor=ADMIN, course_id=course_id)
    release.set()
    assert again.id == first.id
    assert wait_for(int(first.id or 0)).status == JobStatus.succeeded
    assert len([r for r in fake.requests if r.step == "lesson"]) == 2

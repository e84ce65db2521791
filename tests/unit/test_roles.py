"""Roles enforced in core (issue 9): each rule is checked by calling the service itself,
as a forged request would, and a refusal changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from core.auth import Actor, Can, Role, page_allowed, require
from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import request_cancel, retry_job, start_job
from core.models import Course, Job, LLMCall, PromptLabelEvent, Revision, User
from core.prompts import PromptRegistry
from core.schemas import CourseParams
from core.services import cost_report, courses, generation, revisions, users
from core.services import prompt_lab as lab
from core.services.analytics import CostFilter
from core.services.exports import start_export
from tests.actors import ADMIN, person
from tests.factories import first_prompt_versions, make_course

AUTHOR = person("ann@example.com", Role.author)
REVIEWER = person("rita@example.com", Role.reviewer)
ENGINEER = person("pete@example.com", Role.prompt_engineer)
ANALYST = person("alan@example.com", Role.analyst)
ADMIN_PERSON = person("ada@example.com", Role.admin)
EVERYONE = [AUTHOR, REVIEWER, ENGINEER, ANALYST, ADMIN_PERSON]


def forbidden(fn, *args, **kwargs) -> AppError:  # type: ignore[no-untyped-def]
    with pytest.raises(AppError) as info:
        fn(*args, **kwargs)
    assert info.value.code == Code.AUTH_FORBIDDEN, info.value
    return info.value


def count(model) -> int:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def cid(db: str) -> int:
    with session_scope() as session:
        return make_course(session, modules=1, lessons=2, slides=2, language="en")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return first_prompt_versions(tmp_path / "prompts")


# ------------------------------------------------------------------ edit


@pytest.mark.parametrize("actor", [AUTHOR, REVIEWER, ADMIN_PERSON], ids=lambda a: a.role.value)
def test_authors_reviewers_and_admins_edit_and_the_revision_records_them(cid: int, actor: Actor) -> None:
    with session_scope() as session:
        lesson = courses.lessons_of(session, cid)[0]
        result = revisions.save_edit(
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content={**revisions.lesson_content(lesson), "body_md": "A new body for the lesson. " * 10},
            expected_version=lesson.version,
            actor=actor,
        )
    assert result.saved
    with session_scope() as session:
        assert session.get(Revision, result.revision_id).author == actor.email


@pytest.mark.parametrize("actor", [ENGINEER, ANALYST], ids=lambda a: a.role.value)
def test_prompt_engineers_and_analysts_may_not_edit_courses(cid: int, actor: Actor) -> None:
    revisions_before, courses_before = count(Revision), count(Course)
    with session_scope() as session:
        lesson = courses.lessons_of(session, cid)[0]
        err = forbidden(
            revisions.save_edit,
            session,
            node_type="lesson",
            node_id=int(lesson.id or 0),
            content=revisions.lesson_content(lesson),
            expected_version=lesson.version,
            actor=actor,
        )
        assert actor.email in err.message and "edit courses" in err.message
        forbidden(courses.create_course, session, actor=actor, params=CourseParams(topic="Sneaky course"))
        forbidden(
            courses.set_locked, session, actor=actor, node_type="lesson", node_id=lesson.id, locked=True
        )
        forbidden(courses.delete_lesson, session, actor=actor, lesson_id=lesson.id)
        forbidden(courses.delete_module, session, actor=actor, module_id=lesson.module_id)
        forbidden(
            courses.update_course_text,
            session,
            actor=actor,
            course_id=cid,
            title="Sneaky title",
            summary="",
            expected_version=1,
        )
        forbidden(courses.set_archived, session, actor=actor, course_id=cid, archived=True)
    assert (count(Revision), count(Course)) == (revisions_before, courses_before)


# ------------------------------------------------------------------ generate


@pytest.mark.parametrize("actor", [AUTHOR, REVIEWER], ids=lambda a: a.role.value)
def test_authors_and_reviewers_generate_and_the_job_records_who(cid: int, actor: Actor) -> None:
    job = generation.start_slides(actor=actor, course_id=cid)
    with session_scope() as session:
        assert session.get(Job, job.id).started_by == actor.email
    export = start_export(actor=actor, course_id=cid, fmt="json", profile="minimal")
    with session_scope() as session:
        assert session.get(Job, export.id).started_by == actor.email


@pytest.mark.parametrize("actor", [ENGINEER, ANALYST], ids=lambda a: a.role.value)
def test_prompt_engineers_and_analysts_may_not_start_course_generations(cid: int, actor: Actor) -> None:
    forbidden(generation.start_outline, actor=actor, course_id=cid)
    forbidden(generation.start_lessons, actor=actor, course_id=cid)
    forbidden(generation.start_course, actor=actor, course_id=cid)
    forbidden(start_export, actor=actor, course_id=cid, fmt="json", profile="minimal")
    forbidden(start_job, kind="outline", actor=actor, course_id=cid)
    assert count(Job) == 0


def test_analysts_may_not_cancel_or_retry_jobs(cid: int) -> None:
    job = generation.start_slides(actor=AUTHOR, course_id=cid)
    with session_scope() as session:
        forbidden(request_cancel, session, int(job.id or 0), actor=ANALYST)
    forbidden(retry_job, int(job.id or 0), actor=ANALYST)


# ------------------------------------------------------------------ prompts


def _save(root: Path, actor: Actor, version: str) -> object:
    registry = PromptRegistry(root=root)
    base = registry.get("outline", "1.0.0")
    with session_scope() as session:
        return lab.save_version(
            session,
            actor=actor,
            prompt_id="outline",
            base_version="1.0.0",
            version=version,
            owner=actor.email,
            changelog="Shorter titles.",
            template=base.template + "Keep titles short.\n",
            registry=registry,
        )


@pytest.mark.parametrize("actor", [AUTHOR, REVIEWER, ANALYST], ids=lambda a: a.role.value)
def test_only_prompt_engineers_and_admins_save_prompt_versions(db: str, root: Path, actor: Actor) -> None:
    forbidden(_save, root, actor, "1.1.0")
    assert not (root / "outline" / "1.1.0.yaml").exists()
    _save(root, ENGINEER, "1.1.0")
    _save(root, ADMIN_PERSON, "1.2.0")
    assert (root / "outline" / "1.2.0.yaml").exists()


@pytest.mark.parametrize("actor", [AUTHOR, REVIEWER, ANALYST], ids=lambda a: a.role.value)
def test_only_prompt_engineers_and_admins_move_labels(db: str, root: Path, actor: Actor) -> None:
    _save(root, ENGINEER, "1.1.0")
    registry = PromptRegistry(root=root)
    move = {"prompt_id": "outline", "label": "production", "version": "1.1.0", "registry": registry}
    with session_scope() as session:
        err = forbidden(lab.move_label, session, actor=actor, **move)
        assert "move labels" in err.message
    assert count(PromptLabelEvent) == 0
    with session_scope() as session:
        assert lab.current_labels(session, "outline", registry)["production"] == "1.0.0"
    with session_scope() as session:
        event = lab.move_label(session, actor=ENGINEER, **move)
    assert event.moved_by == ENGINEER.email
    with session_scope() as session:
        forbidden(
            lab.rollback_label,
            session,
            actor=actor,
            prompt_id="outline",
            label="production",
            registry=registry,
        )
        back = lab.rollback_label(
            session, actor=ADMIN_PERSON, prompt_id="outline", label="production", registry=registry
        )
    assert back.moved_by == ADMIN_PERSON.email


def test_analysts_may_not_run_the_playground_but_authors_may(db: str) -> None:
    variants = [lab.Variant("A", "1.0.0")]
    forbidden(lab.start_playground, actor=ANALYST, prompt_id="outline", variants=variants, variables={})
    forbidden(start_job, kind="eval", actor=AUTHOR, payload={"prompt_id": "outline"})
    with pytest.raises(AppError) as info:  # authors pass the role check; the variables are missing
        lab.start_playground(actor=AUTHOR, prompt_id="outline", variants=variants, variables={})
    assert info.value.code == Code.VALIDATION


# ------------------------------------------------------------------ costs


def _a_call(session, cid: int) -> None:  # type: ignore[no-untyped-def]
    session.add(
        LLMCall(
            course_id=cid,
            step="lesson",
            provider="openai",
            model="gpt-4.1-mini",
            prompt_id="lesson",
            prompt_version="1.0.0",
            prompt_checksum="x",
            input_tokens=10,
            output_tokens=5,
            cost_usd=0.25,
            outcome="ok",
        )
    )


@pytest.mark.parametrize("actor", [ANALYST, ADMIN_PERSON], ids=lambda a: a.role.value)
def test_analysts_and_admins_read_costs_and_export_cost_tables(cid: int, actor: Actor) -> None:
    with session_scope() as session:
        _a_call(session, cid)
    with session_scope() as session:
        rows = cost_report.report_rows(session, CostFilter(), ("course",), actor=actor)
    csv = cost_report.export_table(rows, fmt="csv", actor=actor).decode()
    assert csv.splitlines()[0].startswith("course,calls,failed_calls")
    assert "0.25" in csv
    assert cost_report.export_table(rows, fmt="parquet", actor=actor)[:4] == b"PAR1"


@pytest.mark.parametrize("actor", [AUTHOR, REVIEWER], ids=lambda a: a.role.value)
def test_authors_and_reviewers_do_not_read_costs(cid: int, actor: Actor) -> None:
    with session_scope() as session:
        forbidden(cost_report.report_rows, session, CostFilter(), ("course",), actor=actor)
    forbidden(cost_report.export_table, [], fmt="csv", actor=actor)


def test_prompt_engineers_read_costs_but_do_not_export_them(cid: int) -> None:
    with session_scope() as session:
        rows = cost_report.report_rows(session, CostFilter(), ("prompt_version",), actor=ENGINEER)
    forbidden(cost_report.export_table, rows, fmt="csv", actor=ENGINEER)


def test_a_cell_that_looks_like_a_formula_is_exported_as_text() -> None:
    row = {"course": "=HYPERLINK(1)", "cost_usd": 0.1}
    assert "'=HYPERLINK(1)" in cost_report.export_table([row], fmt="csv", actor=ANALYST).decode()


# ------------------------------------------------------------------ users


@pytest.mark.parametrize("actor", [AUTHOR, REVIEWER, ENGINEER, ANALYST], ids=lambda a: a.role.value)
def test_only_admins_manage_users(db: str, actor: Actor) -> None:
    with session_scope() as session:
        users.add_user(session, actor=ADMIN, email="bob@example.com", role="author")
    with session_scope() as session:
        forbidden(users.list_users, session, actor=actor)
        forbidden(users.add_user, session, actor=actor, email="eve@example.com", role="admin")
        forbidden(users.update_user, session, actor=actor, email="bob@example.com", role="admin")
        forbidden(users.update_user, session, actor=actor, email=actor.email, role="admin")
        forbidden(
            users.set_caps,
            session,
            actor=actor,
            email="bob@example.com",
            daily_cap_usd=99,
            monthly_cap_usd=None,
        )
    with session_scope() as session:
        bob = users.get_user(session, "bob@example.com")
        assert (bob.role, bob.daily_cap_usd) == ("author", None)
        assert users.get_user(session, "eve@example.com") is None


def test_admins_add_change_and_deactivate_users_but_never_the_last_admin(db: str) -> None:
    with session_scope() as session:
        users.add_user(session, actor=ADMIN, email="Ada@Example.com", role="admin", name="Ada")
        users.add_user(session, actor=ADMIN, email="bob@example.com", role="author")
    with session_scope() as session:
        users.update_user(session, actor=ADMIN, email="bob@example.com", role="analyst")
        users.set_caps(session, actor=ADMIN, email="bob@example.com", daily_cap_usd=1.5, monthly_cap_usd=20)
        listed = {
            u.email: (u.role, u.daily_cap_usd, u.monthly_cap_usd)
            for u in users.list_users(session, actor=ADMIN)
        }
    assert listed == {"ada@example.com": ("admin", None, None), "bob@example.com": ("analyst", 1.5, 20)}
    with session_scope() as session, pytest.raises(AppError, match="no active admin"):
        users.update_user(session, actor=ADMIN, email="ada@example.com", active=False)
    with session_scope() as session, pytest.raises(AppError, match="already exists"):
        users.add_user(session, actor=ADMIN, email="ADA@example.com", role="author")
    with session_scope() as session, pytest.raises(AppError, match="unknown role"):
        users.update_user(session, actor=ADMIN, email="bob@example.com", role="owner")
    with session_scope() as session, pytest.raises(AppError, match="positive"):
        users.set_caps(session, actor=ADMIN, email="bob@example.com", daily_cap_usd=-1, monthly_cap_usd=None)
    with session_scope() as session:
        assert users.get_user(session, "ada@example.com").active


# ------------------------------------------------------------------ sign-in


def test_sign_in_follows_the_allowlist_bootstrap_admins_and_roles_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import reset_settings

    roles = tmp_path / "roles.yaml"
    roles.write_text("pete@partner.org: prompt_engineer\n", "utf-8")
    monkeypatch.setenv("AUTH_ALLOWLIST", "ann@example.com, @team.example.org")
    monkeypatch.setenv("AUTH_BOOTSTRAP_ADMINS", "boss@elsewhere.net")
    monkeypatch.setenv("AUTH_ROLES_FILE", str(roles))
    reset_settings()
    with session_scope() as session:
        assert users.sign_in(session, email="Ann@Example.com", name="Ann").role == Role.author
        assert users.sign_in(session, email="zoe@team.example.org").role == Role.author
        assert users.sign_in(session, email="boss@elsewhere.net").role == Role.admin
        assert users.sign_in(session, email="pete@partner.org").role == Role.prompt_engineer
        for stranger in ("mallory@example.net", "ann@example.com.evil.io", "team.example.org", ""):
            with pytest.raises(AppError) as info:
                users.sign_in(session, email=stranger)
            assert info.value.code == Code.AUTH_NOT_ALLOWED
    assert count(User) == 4
    with session_scope() as session:  # the database decides after the first sign-in
        users.update_user(session, actor=ADMIN, email="ann@example.com", role="reviewer")
        users.update_user(session, actor=ADMIN, email="zoe@team.example.org", active=False)
    with session_scope() as session:
        assert users.sign_in(session, email="ann@example.com").role == Role.reviewer
        with pytest.raises(AppError, match="deactivated"):
            users.sign_in(session, email="zoe@team.example.org")


def test_pages_shown_per_role() -> None:
    visible = {
        a.role.value: sorted(
            p
            for p in ("courses", "jobs", "costs", "playground", "evaluations", "users")
            if page_allowed(a, p)
        )
        for a in EVERYONE
    }
    assert visible == {
        "author": ["courses", "jobs", "playground"],
        "reviewer": ["courses", "jobs", "playground"],
        "prompt_engineer": ["costs", "evaluations", "jobs", "playground"],
        "analyst": ["costs", "jobs"],
        "admin": ["costs", "courses", "evaluations", "jobs", "playground", "users"],
    }


def test_no_actor_is_refused() -> None:
    with pytest.raises(AppError) as info:
        require(None, Can.edit)  # type: ignore[arg-type]
    assert info.value.code == Code.AUTH_FORBIDDEN
